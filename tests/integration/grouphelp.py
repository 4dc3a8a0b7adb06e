# grouphelp.py: consumer-group helpers for the test_3x files: subprocess
# consumers (cg_worker.py), committed-offset lookups, produce shortcuts.
import os
import queue
import subprocess
import threading
import time

import tmhelp

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


class Worker:
    """A cg_worker.py subprocess; its stdout lines are collected in order."""

    def __init__(self, b, topic, group, budget=-1, commit="none", conf=None, deadline=170):
        argv = [PY, os.path.join(HERE, "cg_worker.py"), b.bootstrap, topic, group, "--budget", str(budget),
                "--commit", commit, "--deadline", str(deadline)]
        for k, v in (conf or {}).items():
            argv += ["--conf", "%s=%s" % (k, v)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     preexec_fn=tmhelp._pdeathsig)
        self.lines = []
        self.q = queue.Queue()
        self.err_lines = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.q), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, None), daemon=True).start()

    def _pump(self, f, q):
        for raw in iter(f.readline, b""):
            line = raw.decode(errors="replace").rstrip("\n")
            if q is not None:
                q.put(line)
            else:
                self.err_lines.append(line)

    def _drain(self, block_s):
        try:
            self.lines.append(self.q.get(timeout=block_s))
        except queue.Empty:
            pass
        while True:
            try:
                self.lines.append(self.q.get_nowait())
            except queue.Empty:
                return

    def wait_for(self, pred, timeout, what, since=0):
        """Waits for a line satisfying pred (looking at every line from index
        `since` on); returns it."""
        deadline = time.monotonic() + timeout
        seen = since
        while True:
            for line in self.lines[seen:]:
                if pred(line):
                    return line
            seen = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("worker: timed out after %.0f s waiting for %s; output so far:\n%s\nstderr:\n%s"
                                     % (timeout, what, "\n".join(self.lines[-40:]), "\n".join(self.err_lines[-20:])))
            if self.proc.poll() is not None and self.q.empty():
                self._drain(0.2)
                if len(self.lines) == seen:
                    raise AssertionError("worker exited (%s) before %s; output:\n%s\nstderr:\n%s" % (
                        self.proc.returncode, what, "\n".join(self.lines[-40:]), "\n".join(self.err_lines[-20:])))
                continue
            self._drain(min(0.2, left))

    def msgs(self):
        """[(partition, offset, value)] from MSG lines so far."""
        self._drain(0)
        out = []
        for line in self.lines:
            if line.startswith("MSG "):
                _, p, o, *v = line.split(" ", 3)
                out.append((int(p), int(o), v[0] if v else ""))
        return out

    def assignments(self):
        self._drain(0)
        return [parse_tps(line[len("ASSIGNED "):]) for line in self.lines if line.startswith("ASSIGNED")]

    def send(self, cmd):
        self.proc.stdin.write((cmd + "\n").encode())
        self.proc.stdin.flush()

    def kill9(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)

    def stop(self, sig=None):
        if sig is not None:
            self.proc.send_signal(sig)

    def close(self, timeout=30):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(10)


def parse_tps(s):
    out = []
    for item in filter(None, s.strip().split(",")):
        parts = item.rsplit(":", 2) if item.count(":") >= 2 else item.rsplit(":", 1)
        out.append((parts[0], int(parts[1])))
    return sorted(out)


def committed(b, group, topic, partitions, timeout=10):
    """{partition: committed offset} via OffsetFetch from a non-member consumer
    (librdkafka); a partition without a committed offset maps to None."""
    from confluent_kafka import TopicPartition
    c = tmhelp.ck_consumer(b, group=group)
    try:
        res = c.committed([TopicPartition(topic, p) for p in partitions], timeout=timeout)
    finally:
        c.close()
    out = {}
    for tp in res:
        assert tp.error is None, "committed(%s): %s" % (tp.partition, tp.error)
        out[tp.partition] = tp.offset if tp.offset >= 0 else None
    return out


def produce_n(b, topic, n, partition=0, prefix="m", start=0):
    return tmhelp.ck_produce(b, topic, [{"value": b"%s%d" % (prefix.encode(), i), "partition": partition}
                                        for i in range(start, start + n)])


def first_msg_offset(b, group, topic, extra=None, timeout=40):
    """A fresh subscribed consumer in `group`: the offset of the first message it gets."""
    c = tmhelp.ck_consumer(b, group=group, extra=extra)
    try:
        c.subscribe([topic])
        m = tmhelp.ck_poll_n(c, 1, timeout, what="first message for group %s" % group)[0]
        return m.offset()
    finally:
        c.close()


def rdk_admin(ctools, b, *args, timeout=40):
    p = tmhelp.run([ctools["rdk_admin"], b.bootstrap] + list(args), timeout=timeout, check=False)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, "rdk_admin %s exited %d:\n%s\n%s" % (
        " ".join(args), p.returncode, out, p.stderr.decode(errors="replace")[-3000:])
    return out.splitlines()
