# test_21_fetch_wait.py: long-polling Fetch with fetch.min.bytes larger than
# what arrives. Each small produce ends a sync round that wakes the parked
# fetch; it must go back to waiting (not spin), answer by fetch.wait.max.ms
# with what there is, and leave the broker free to serve everyone else.
import time

from confluent_kafka import TopicPartition

import tmhelp


def _rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def test_fetch_min_bytes_trickle(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    c = tmhelp.ck_consumer(broker, extra={"fetch.min.bytes": 1000000, "fetch.wait.max.ms": 300})
    p = tmhelp.ck_producer(broker, {"linger.ms": 0})
    got = []
    try:
        c.assign([TopicPartition(topic_name, 0, 0)])
        rss0 = _rss_mb(broker.proc.pid)
        for i in range(40):
            p.produce(topic_name, value=b"x%d" % i, partition=0)
            assert p.flush(10) == 0, "record %d not acknowledged" % i
            # the broker keeps answering other clients while the fetch waits
            with tmhelp.Wire(broker.port, timeout=5) as w:
                err, _ = tmhelp.parse_api_versions(w.request(18, 0, b""))
                assert err == 0
            m = c.poll(0.02)
            if m is not None and not m.error():
                got.append(m.value())
        got += [m.value() for m in tmhelp.ck_poll_n(c, 40 - len(got), timeout=10)]
        assert got == [b"x%d" % i for i in range(40)]
        grown = _rss_mb(broker.proc.pid) - rss0
        assert grown < 100, "broker RSS grew by %.0f MB while a fetch waited" % grown
    finally:
        p.flush(5)
        c.close()


def test_fetch_min_bytes_answers_at_max_wait(broker, topic_name):
    """One small record and a huge fetch.min.bytes: the consumer still gets
    it once fetch.wait.max.ms has passed (Kafka's DelayedFetch expiry)."""
    tmhelp.ck_create_topic(broker, topic_name, 1)
    tmhelp.ck_produce(broker, topic_name, [{"value": b"only", "partition": 0}])
    c = tmhelp.ck_consumer(broker, extra={"fetch.min.bytes": 1000000, "fetch.wait.max.ms": 500})
    try:
        c.assign([TopicPartition(topic_name, 0, 0)])
        t0 = time.monotonic()
        (m,) = tmhelp.ck_poll_n(c, 1, timeout=10)
        assert m.value() == b"only" and m.offset() == 0
        assert time.monotonic() - t0 < 8
    finally:
        c.close()
