# cg_worker.py: a confluent-kafka group consumer run as a subprocess, so tests
# can kill -9 / SIGSTOP it like a crashed application.
#
#   /usr/bin/python3 cg_worker.py BOOTSTRAP TOPIC GROUP [--budget N] [--commit each|none]
#                                 [--conf key=value ...] [--deadline SECONDS]
#
# Prints one line per event, flushed at once:
#   READY                            consumer created and subscribed
#   ASSIGNED t:p,t:p                 on_assign: the full assignment after it (with a
#                                    cooperative assignor the callback gets only the increment)
#   REVOKED t:p,...                  on_revoke
#   MSG <partition> <offset> <value>
#   COMMITTED <partition> <offset>   after a synchronous commit (offset = next to read)
#   COMMITCB <err|OK> t:p:o,...      commit callback (auto or async commits)
#   ERROR <text>                     consumer error
#   CLOSED
# Messages are processed only while the budget is not exhausted (-1 =
# unlimited); stdin commands: "more N" (add to the budget), "commit" (sync
# commit of the current position), "quit" (close and exit).
import argparse
import select
import sys
import time

from confluent_kafka import Consumer, KafkaError


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def tps(parts):
    return ",".join("%s:%d%s" % (p.topic, p.partition, (":%d" % p.offset) if p.offset >= 0 else "")
                    for p in parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bootstrap")
    ap.add_argument("topic")
    ap.add_argument("group")
    ap.add_argument("--budget", type=int, default=-1)
    ap.add_argument("--commit", choices=["each", "none"], default="none")
    ap.add_argument("--conf", action="append", default=[])
    ap.add_argument("--deadline", type=float, default=170.0)
    a = ap.parse_args()

    conf = {"bootstrap.servers": a.bootstrap, "group.id": a.group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000,
            "socket.timeout.ms": 10000,
            "on_commit": lambda err, parts: out("COMMITCB %s %s" % ("OK" if err is None else err, tps(parts)))}
    for kv in a.conf:
        k, v = kv.split("=", 1)
        conf[k] = v
    c = Consumer(conf)
    def on_assign(cons, parts):
        # eager: parts is everything (the old assignment was revoked first);
        # cooperative: parts is what is added to the current assignment
        full = {(p.topic, p.partition): p for p in cons.assignment()}
        full.update({(p.topic, p.partition): p for p in parts})
        out("ASSIGNED " + tps(sorted(full.values(), key=lambda p: (p.topic, p.partition))))

    c.subscribe([a.topic], on_assign=on_assign,
                on_revoke=lambda cons, parts: out("REVOKED " + tps(parts)))
    out("READY")
    budget = a.budget
    end = time.monotonic() + a.deadline
    stdin_open = True
    while time.monotonic() < end:
        if stdin_open and select.select([sys.stdin], [], [], 0)[0]:
            line = sys.stdin.readline()
            if not line:
                stdin_open = False
            else:
                cmd = line.split()
                if cmd and cmd[0] == "more":
                    budget = int(cmd[1]) if budget < 0 else budget + int(cmd[1])
                elif cmd and cmd[0] == "commit":
                    try:
                        parts = c.commit(asynchronous=False)
                        for p in parts:
                            out("COMMITTED %d %d" % (p.partition, p.offset))
                    except Exception as e:  # noqa: BLE001
                        out("ERROR commit: %s" % e)
                elif cmd and cmd[0] == "quit":
                    break
        if budget == 0:
            time.sleep(0.05)
            continue
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() != KafkaError._PARTITION_EOF:
                out("ERROR %s" % m.error())
            continue
        out("MSG %d %d %s" % (m.partition(), m.offset(), (m.value() or b"").decode(errors="replace")))
        if budget > 0:
            budget -= 1
        if a.commit == "each":
            try:
                c.commit(message=m, asynchronous=False)
                out("COMMITTED %d %d" % (m.partition(), m.offset() + 1))
            except Exception as e:  # noqa: BLE001
                out("ERROR commit: %s" % e)
    c.close()
    out("CLOSED")


if __name__ == "__main__":
    sys.exit(main())
