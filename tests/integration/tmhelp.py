# tmhelp.py: helpers for the integration suite (broker process, waiting,
# clients, raw Kafka wire encoding).
#
# Everything here is bounded: process waits, socket reads and client calls
# take explicit timeouts, and wait_until() polls a condition with short sleeps
# up to a deadline instead of sleeping blindly.
import ctypes
import os
import random
import re
import signal
import socket
import string
import struct
import subprocess
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                     "ERROR: UndefinedBehaviorSanitizer", "AddressSanitizer:DEADLYSIGNAL")
START_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0


def broker_bin():
    b = os.environ.get("TIDEMARK_BIN", os.path.join(REPO, "build", "tidemarkd"))
    return b if os.path.isabs(b) else os.path.join(REPO, b)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def unique_name(hint="t"):
    base = re.sub(r"[^a-zA-Z0-9._-]", "-", hint)[:40].strip("-") or "t"
    return "%s-%s" % (base, "".join(random.choice(string.ascii_lowercase) for _ in range(6)))


def wait_until(cond, timeout, what, interval=0.1):
    """Polls cond() until it returns a truthy value (returned) or raises
    AssertionError naming `what` after `timeout` seconds. Exceptions from
    cond() count as "not yet"; the last one is reported."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - reported on timeout
            last_exc = e
        if time.monotonic() >= deadline:
            msg = "timed out after %.1f s waiting for %s" % (timeout, what)
            if last_exc is not None:
                msg += " (last error: %r)" % (last_exc,)
            raise AssertionError(msg)
        time.sleep(interval)


def _pdeathsig():
    # The broker dies with the test runner, even if the runner is killed.
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001
        pass


class Broker:
    """One tidemarkd process on a fixed loopback port and data dir."""

    def __init__(self, base_dir, overrides=None, port=None):
        self.base_dir = str(base_dir)
        self.data_dir = os.path.join(self.base_dir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.stderr_path = os.path.join(self.base_dir, "broker.stderr")
        self.overrides = dict(overrides or {})
        self.port = port or free_port()
        self.proc = None
        self.expect_dead = False
        self.starts = 0

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    def argv(self):
        args = [broker_bin(), "--listen", "127.0.0.1:%d" % self.port, "--data-dir", self.data_dir]
        for k, v in self.overrides.items():
            args += ["--override", "%s=%s" % (k, v)]
        return args

    def start(self, timeout=START_TIMEOUT):
        if not os.path.exists(broker_bin()):
            raise AssertionError("broker binary %s does not exist (build it, or set TIDEMARK_BIN)" % broker_bin())
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        self.starts += 1
        with open(self.stderr_path, "ab") as errf:
            errf.write(("\n==== start #%d: %s\n" % (self.starts, " ".join(self.argv()))).encode())
            errf.flush()
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=errf, stderr=errf,
                                         env=env, cwd=self.base_dir, preexec_fn=_pdeathsig)
        self.expect_dead = False
        deadline = time.monotonic() + timeout
        last = None
        while True:
            rc = self.proc.poll()
            if rc is not None:
                self.expect_dead = True
                raise AssertionError("broker exited with code %s during start-up\n%s" % (rc, self.stderr_tail()))
            try:
                if self._ready():
                    return
            except (OSError, AssertionError, Closed) as e:
                last = e
            if time.monotonic() >= deadline:
                self.proc.kill()
                self.proc.wait(5)
                self.expect_dead = True
                raise AssertionError("broker on %s did not answer ApiVersions within %.0f s (last error: %r)\n%s"
                                     % (self.bootstrap, timeout, last, self.stderr_tail()))
            time.sleep(0.05)

    def _ready(self):
        with Wire(self.port, timeout=2.0) as w:
            body = w.request(18, 0, b"")
            err, keys = parse_api_versions(body)
            return err == 0 and 18 in keys

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM and wait; returns a list of problems (empty when clean)."""
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is not None and not self.expect_dead:
            problems.append("broker had already exited (code %s) before it was told to stop" % self.proc.returncode)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                problems.append("broker did not exit within %.0f s of SIGTERM (killed)" % timeout)
        rc = self.proc.returncode
        if rc != 0 and not problems and not self.expect_dead:
            problems.append("broker exited with code %s after SIGTERM (expected 0)" % rc)
        self.expect_dead = True
        return problems

    def kill9(self):
        """SIGKILL the broker (simulated crash) and reap it."""
        self.expect_dead = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def restart(self, timeout=START_TIMEOUT):
        """Clean stop (must exit 0) then start on the same port and data dir."""
        problems = self.stop()
        problems += self.sanitizer_problems()
        if problems:
            raise AssertionError("restart: " + "; ".join(problems) + "\n" + self.stderr_tail())
        self.start(timeout)

    def sanitizer_problems(self):
        try:
            with open(self.stderr_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return []
        found = [m for m in SANITIZER_MARKERS if m in text]
        return ["sanitizer report in broker stderr (%s)" % ", ".join(found)] if found else []

    def stderr_tail(self, nbytes=12000):
        try:
            with open(self.stderr_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - nbytes))
                text = f.read().decode("utf-8", "replace")
        except OSError as e:
            return "(no broker stderr: %s)" % e
        return "---- broker stderr (%s, last %d bytes) ----\n%s\n---- end ----" % (self.stderr_path, nbytes, text)

    def shutdown_check(self):
        """Teardown: stop, then list every problem with the stderr tail."""
        problems = self.stop() + self.sanitizer_problems()
        if problems:
            return ["broker %s: %s\n%s" % (self.bootstrap, "; ".join(problems), self.stderr_tail())]
        return []


def restart(b):
    b.restart()


def kill9(b):
    b.kill9()


# ---------------------------------------------------------------- raw wire

def i8(v):
    return struct.pack(">b", v)


def i16(v):
    return struct.pack(">h", v)


def i32(v):
    return struct.pack(">i", v)


def u32(v):
    return struct.pack(">I", v)


def i64(v):
    return struct.pack(">q", v)


def kstr(s):
    if s is None:
        return i16(-1)
    b = s.encode() if isinstance(s, str) else s
    return i16(len(b)) + b


def kbytes(b):
    if b is None:
        return i32(-1)
    return i32(len(b)) + b


def karray(items):
    return i32(len(items)) + b"".join(items)


def uvarint(n):
    """Unsigned varint (KIP-482 lengths and tag counts)."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def varint(n):
    """Zig-zag signed varint (record fields)."""
    z = (n << 1) ^ (n >> 63)
    return uvarint(z & ((1 << 64) - 1))


def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC_T = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def record_batch(records, base_ts=None, corrupt_crc=False):
    """RecordBatch v2, uncompressed; records = [(key bytes|None, value bytes|None)]."""
    base_ts = int(time.time() * 1000) if base_ts is None else base_ts
    recs = b""
    for i, (k, v) in enumerate(records):
        body = i8(0) + varint(0) + varint(i)
        body += varint(-1) if k is None else varint(len(k)) + k
        body += varint(-1) if v is None else varint(len(v)) + v
        body += varint(0)
        recs += varint(len(body)) + body
    after_crc = (i16(0) + i32(len(records) - 1) + i64(base_ts) + i64(base_ts) + i64(-1) + i16(-1) + i32(-1)
                 + i32(len(records)) + recs)
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc ^= 0xDEADBEEF
    tail = i32(-1) + i8(2) + u32(crc) + after_crc
    return i64(0) + i32(len(tail)) + tail


class Closed(Exception):
    pass


class Wire:
    """A raw Kafka connection: request header v1, response header v0."""

    def __init__(self, port, timeout=10.0, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.corr = 0

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def frame(self, api_key, version, body, corr=None, client_id="tm-test"):
        if corr is None:
            self.corr += 1
            corr = self.corr
        payload = i16(api_key) + i16(version) + i32(corr) + kstr(client_id) + body
        return i32(len(payload)) + payload

    def _recvn(self, n):
        buf = b""
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except (ConnectionResetError, BrokenPipeError):
                raise Closed("connection reset") from None
            if not chunk:
                raise Closed("connection closed by broker after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return buf

    def recv_frame(self):
        size = struct.unpack(">i", self._recvn(4))[0]
        assert 4 <= size <= 64 * 1024 * 1024, "bad response size %d" % size
        return self._recvn(size)

    def request(self, api_key, version, body, client_id="tm-test"):
        """Sends one request, returns the response body after the correlation id."""
        self.send(self.frame(api_key, version, body, client_id=client_id))
        resp = self.recv_frame()
        corr = struct.unpack(">i", resp[:4])[0]
        assert corr == self.corr, "correlation id %d, expected %d" % (corr, self.corr)
        return resp[4:]

    def wait_closed(self, timeout=10.0):
        """True if the broker closes the connection (EOF/RST) within timeout;
        any bytes it sends first are drained and ignored."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True
        return False


class Reader:
    def __init__(self, data):
        self.d = data
        self.p = 0

    def take(self, n):
        assert self.p + n <= len(self.d), "short response (need %d at %d of %d)" % (n, self.p, len(self.d))
        v = self.d[self.p:self.p + n]
        self.p += n
        return v

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def str(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()


def parse_api_versions(body):
    """ApiVersions v0 body -> (error_code, {key: (min, max)})."""
    r = Reader(body)
    err = r.i16()
    keys = {}
    n = r.i32()
    assert 0 <= n <= 1000, "bad api_keys count %d" % n
    for _ in range(n):
        k, lo, hi = r.i16(), r.i16(), r.i16()
        keys[k] = (lo, hi)
    return err, keys


def produce_v3_body(topic, partition, batch, acks=-1, timeout_ms=10000):
    return (kstr(None) + i16(acks) + i32(timeout_ms)
            + karray([kstr(topic) + karray([i32(partition) + kbytes(batch)])]))


def parse_produce_v3(body):
    """-> {(topic, partition): (error, base_offset)}"""
    r = Reader(body)
    out = {}
    for _ in range(r.i32()):
        name = r.str()
        for _ in range(r.i32()):
            idx, err, base, _lat = r.i32(), r.i16(), r.i64(), r.i64()
            out[(name, idx)] = (err, base)
    return out


# ---------------------------------------------------------------- clients

CK_BASE = {
    "socket.timeout.ms": 10000,
    "api.version.request.timeout.ms": 10000,
}


def ck_conf(b, extra=None):
    c = {"bootstrap.servers": b.bootstrap}
    c.update(CK_BASE)
    c.update(extra or {})
    return c


def ck_producer(b, extra=None):
    from confluent_kafka import Producer
    conf = {"acks": "all", "message.timeout.ms": 30000, "linger.ms": 5}
    conf.update(extra or {})
    return Producer(ck_conf(b, conf))


def ck_consumer(b, group=None, extra=None):
    from confluent_kafka import Consumer
    conf = {"group.id": group or unique_name("g"), "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1000, "enable.partition.eof": False}
    conf.update(extra or {})
    return Consumer(ck_conf(b, conf))


def ck_admin(b, extra=None):
    from confluent_kafka.admin import AdminClient
    return AdminClient(ck_conf(b, extra))


def ck_produce(b, topic, records, extra=None, timeout=30.0):
    """Produces records (dicts: value, key, partition, headers, timestamp) with
    acks=all; asserts every one is acknowledged; returns [(partition, offset)]."""
    p = ck_producer(b, extra)
    results = [None] * len(records)

    def cb_for(i):
        def cb(err, msg):
            results[i] = (err, msg.partition() if msg else None, msg.offset() if msg else None)
        return cb

    for i, r in enumerate(records):
        kw = {k: v for k, v in r.items() if k in ("key", "value", "partition", "headers", "timestamp")}
        p.produce(topic, on_delivery=cb_for(i), **kw)
        p.poll(0)
    left = p.flush(timeout)
    assert left == 0, "%d messages still undelivered after %.0f s" % (left, timeout)
    errs = [(i, r[0]) for i, r in enumerate(results) if r is None or r[0] is not None]
    assert not errs, "delivery failures: %s" % errs[:5]
    return [(r[1], r[2]) for r in results]


def ck_poll_n(consumer, n, timeout=30.0, what="messages"):
    """Polls until n messages arrived; fails on consumer errors."""
    from confluent_kafka import KafkaError
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n:
        left = deadline - time.monotonic()
        assert left > 0, "got %d of %d %s within %.0f s" % (len(out), n, what, timeout)
        m = consumer.poll(min(1.0, left))
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                continue
            raise AssertionError("consumer error: %s" % m.error())
        out.append(m)
    return out


def ck_read_partitions(b, topic, partitions, n, timeout=30.0, extra=None):
    """Reads n messages from the beginning of the given partitions (assign, no group commits)."""
    from confluent_kafka import TopicPartition, OFFSET_BEGINNING
    c = ck_consumer(b, extra=extra)
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        return ck_poll_n(c, n, timeout)
    finally:
        c.close()


def ck_create_topic(b, topic, partitions=1, config=None, timeout=20.0):
    from confluent_kafka.admin import NewTopic
    a = ck_admin(b)
    fs = a.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1, config=config or {})],
                         operation_timeout=10, request_timeout=timeout)
    fs[topic].result(timeout)
    wait_until(lambda: _topic_ready(a, topic, partitions), timeout, "topic %s in metadata" % topic)


def _topic_ready(admin, topic, partitions):
    md = admin.list_topics(topic, timeout=5)
    t = md.topics.get(topic)
    return t is not None and t.error is None and len(t.partitions) == partitions and all(
        p.leader >= 0 for p in t.partitions.values())


def kp_kwargs(b, **kw):
    d = {"bootstrap_servers": b.bootstrap, "api_version_auto_timeout_ms": 10000, "request_timeout_ms": 15000}
    d.update(kw)
    return d


def kp_producer(b, **kw):
    from kafka import KafkaProducer
    base = {"acks": "all", "max_block_ms": 20000}
    base.update(kw)
    return KafkaProducer(**kp_kwargs(b, **base))


def kp_consumer(b, *topics, **kw):
    from kafka import KafkaConsumer
    base = {"auto_offset_reset": "earliest", "enable_auto_commit": False, "consumer_timeout_ms": 20000,
            "session_timeout_ms": 6000, "heartbeat_interval_ms": 1000, "request_timeout_ms": 20000}
    base.update(kw)
    return KafkaConsumer(*topics, **kp_kwargs(b, **base))


def kp_admin(b, **kw):
    from kafka.admin import KafkaAdminClient
    return KafkaAdminClient(**kp_kwargs(b, **kw))


def kp_poll_n(consumer, n, timeout=30.0):
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n:
        left = deadline - time.monotonic()
        assert left > 0, "kafka-python consumer got %d of %d messages within %.0f s" % (len(out), n, timeout)
        recs = consumer.poll(timeout_ms=int(min(1.0, left) * 1000))
        for _tp, msgs in sorted(recs.items(), key=lambda kv: (kv[0].topic, kv[0].partition)):
            out.extend(msgs)
    return out


def run(argv, timeout=60, input_bytes=None, check=True):
    """Runs a command, bounded; returns CompletedProcess with bytes stdout/stderr."""
    p = subprocess.run(argv, input=input_bytes, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       stdin=None if input_bytes is not None else subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s" % (
            " ".join(argv), p.returncode, p.stdout.decode(errors="replace")[-3000:],
            p.stderr.decode(errors="replace")[-3000:]))
    return p


class FetchStats:
    """librdkafka statistics for a consumer: pass conf() into the consumer's
    config, then fetch_pos(consumer, topic, partition) polls once and returns
    (fetch_state, next_offset) from the latest report ((None, None) before
    the first). next_offset is where the fetcher will read next: it shows
    the result of an auto.offset.reset or a seek before any message arrives."""

    def __init__(self, interval_ms=100):
        self.interval_ms = interval_ms
        self.latest = None

    def conf(self):
        import json

        def cb(stats_json):
            self.latest = json.loads(stats_json)
        return {"statistics.interval.ms": self.interval_ms, "stats_cb": cb}

    def fetch_pos(self, consumer, topic, partition, poll_s=0.1):
        m = consumer.poll(poll_s)
        assert m is None or m.error(), "unexpected message at offset %s while waiting on fetch state" % m.offset()
        try:
            p = self.latest["topics"][topic]["partitions"][str(partition)]
        except (TypeError, KeyError):
            return (None, None)
        return (p.get("fetch_state"), p.get("next_offset"))
