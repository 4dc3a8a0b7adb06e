# crash_loop.py: kill -9 the broker again and again under acks=all produce
# and commitSync consume; after each restart every acknowledged record must
# be at its offset with its value, and every group's committed offset at
# least the last acknowledged commit (and at most the log end).
#
#   /usr/bin/python3 tests/integration/crash_loop.py [--cycles N] [--seed S] [--dir D]
#   make crash-test CRASH_CYCLES=50     (TIDEMARK_BIN picks the broker)
#
# Prints one line per cycle and the summary
#   crash-test: N cycles, 0 lost records, 0 lost commits
# and exits 1 if anything was lost. test_52_crash_loop.py runs 3 cycles.
#
# One cycle: start the broker on the same data dir; check everything
# acknowledged so far; start a confluent-kafka producer (acks=all, delivery
# reports record (partition, offset) -> value) and a cg_worker.py consumer
# process (static group member, commitSync after each message, printing
# COMMITTED lines only after the commit returned); once both make progress,
# wait a random 0.2-2 s and kill -9 the broker, then the consumer.
import argparse
import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grouphelp  # noqa: E402
import tmhelp  # noqa: E402

TOPIC = "crash"
PARTITIONS = 2
GROUP = "crash-group"


class Producer:
    """A producing thread; acked maps (partition, offset) -> value."""

    def __init__(self, b, acked, cycle):
        from confluent_kafka import Producer as CkProducer
        self.p = CkProducer(tmhelp.ck_conf(b, {"acks": "all", "linger.ms": 2, "message.timeout.ms": 60000,
                                                "retry.backoff.ms": 100, "socket.timeout.ms": 5000}))
        self.acked = acked
        self.cycle = cycle
        self.n_acked = 0
        self.conflicts = []
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _cb(self, err, msg):
        if err is not None:
            return
        key = (msg.partition(), msg.offset())
        old = self.acked.get(key)
        if old is not None and old != msg.value():
            self.conflicts.append((key, old, msg.value()))
        self.acked[key] = msg.value()
        self.n_acked += 1

    def _run(self):
        seq = 0
        while not self.stop.is_set():
            for _ in range(5):  # ~1000 records/s
                try:
                    self.p.produce(TOPIC, value=b"c%04d-%07d" % (self.cycle, seq), partition=seq % PARTITIONS,
                                   on_delivery=self._cb)
                except BufferError:
                    break
                seq += 1
            self.p.poll(0.005)

    def finish(self):
        """After the kill: no more produces; drop what is queued or in flight
        (their reports are failures) and collect the reports."""
        self.stop.set()
        self.t.join(10)
        self.p.purge(in_queue=True, in_flight=True, blocking=False)
        self.p.flush(10)


class CrashLoop:
    def __init__(self, base_dir, seed, log=print):
        self.b = tmhelp.Broker(base_dir, {"group.initial.rebalance.delay.ms": 0})
        self.rng = random.Random(seed)
        self.log = log
        self.acked = {}       # (partition, offset) -> value, acknowledged by the broker
        self.commits = {}     # partition -> highest acknowledged committed offset
        self.lost_records = 0
        self.lost_commits = 0
        self.problems = []

    def setup(self):
        self.b.start()
        tmhelp.ck_create_topic(self.b, TOPIC, PARTITIONS, config={"segment.bytes": "262144"})

    # ---- checks

    def check(self, cycle):
        from confluent_kafka import TopicPartition
        c = tmhelp.ck_consumer(self.b, GROUP)  # OffsetFetch only: never subscribes
        try:
            hw = {}
            for p in range(PARTITIONS):
                lo, hi = c.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=20)
                if lo != 0:
                    self.problems.append("cycle %d: partition %d starts at %d" % (cycle, p, lo))
                hw[p] = hi
            committed = {tp.partition: tp.offset for tp in
                         c.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)], timeout=20)}
        finally:
            c.close()
        stored = {}
        total = sum(hw.values())
        if total:
            for m in tmhelp.ck_read_partitions(self.b, TOPIC, list(range(PARTITIONS)), total, timeout=120):
                stored[(m.partition(), m.offset())] = m.value()
        missing = [k for k in self.acked if k not in stored]
        changed = [k for k in self.acked if k in stored and stored[k] != self.acked[k]]
        lost = len(missing) + len(changed)
        if lost:
            self.problems.append("cycle %d: %d acknowledged records lost (e.g. %s), %d changed (e.g. %s)"
                                 % (cycle, len(missing), sorted(missing)[:5], len(changed), sorted(changed)[:5]))
        self.lost_records += lost
        for p, want in self.commits.items():
            got = committed.get(p, -1001)
            if got < want or got > hw[p]:
                self.lost_commits += 1
                self.problems.append("cycle %d: partition %d committed offset %d, acknowledged %d, log end %d"
                                     % (cycle, p, got, want, hw[p]))
        return hw, committed, lost

    # ---- one cycle

    def load_and_kill(self, cycle):
        prod = Producer(self.b, self.acked, cycle)
        worker = grouphelp.Worker(self.b, TOPIC, GROUP, commit="each", deadline=120,
                                  conf={"group.instance.id": "crash-consumer", "socket.timeout.ms": 5000,
                                        # small fetches: the consumer alternates partitions
                                        "max.partition.fetch.bytes": 1024})
        try:
            start_n = prod.n_acked
            tmhelp.wait_until(lambda: prod.n_acked > start_n, 30, "acknowledged produces")
            worker.wait_for(lambda l: l.startswith("COMMITTED "), 30, "a committed offset")
            delay = self.rng.uniform(0.2, 2.0)
            time.sleep(delay)
            self.b.kill9()
        finally:
            if worker.proc.poll() is None:
                worker.proc.kill()
            worker.proc.wait(10)
            prod.finish()
        worker._drain(0.5)
        n_commits = 0
        for line in worker.lines:
            if line.startswith("COMMITTED "):
                _, p, o = line.split()
                p, o = int(p), int(o)
                n_commits += 1
                if o > self.commits.get(p, -1):
                    self.commits[p] = o
        if prod.conflicts:
            self.problems.append("cycle %d: offsets acknowledged twice with different values: %s"
                                 % (cycle, prod.conflicts[:3]))
            self.lost_records += len(prod.conflicts)
        return delay, prod.n_acked, n_commits

    def run(self, cycles):
        self.setup()
        try:
            for cycle in range(1, cycles + 1):
                delay, n_acked, n_commits = self.load_and_kill(cycle)
                self.b.start()
                hw, committed, lost = self.check(cycle)
                self.log("cycle %d: killed after %.2f s; %d records and %d commits acknowledged this cycle; "
                         "log ends %s, committed %s, lost %d" % (cycle, delay, n_acked, n_commits, hw,
                                                                 committed, lost))
        finally:
            problems = self.b.stop() + self.b.sanitizer_problems()
            if problems:
                self.problems.append("final stop: %s\n%s" % ("; ".join(problems), self.b.stderr_tail()))
        return "crash-test: %d cycles, %d lost records, %d lost commits" % (cycles, self.lost_records,
                                                                            self.lost_commits)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=int(os.environ.get("CRASH_CYCLES", "50")))
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--dir", default=None, help="work directory (default: a new temp dir, removed on success)")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    base = a.dir or tempfile.mkdtemp(prefix="tm-crash-")
    print("crash-test: broker %s, seed %d, dir %s" % (tmhelp.broker_bin(), seed, base), flush=True)
    loop = CrashLoop(base, seed, log=lambda s: print(s, flush=True))
    t0 = time.monotonic()
    summary = loop.run(a.cycles)
    for p in loop.problems:
        print("PROBLEM: " + p)
    print("%s (%.0f s, %d records, seed %d)" % (summary, time.monotonic() - t0, len(loop.acked), seed))
    print(summary, flush=True)
    return 1 if loop.problems else 0


if __name__ == "__main__":
    sys.exit(main())
