# test_15_crash.py: kill -9 in the middle of an acks=all produce stream; after
# a restart every acknowledged record is present at its offset with its value.
import time

import pytest

import tmhelp


@pytest.mark.timeout_s(240)
def test_kill9_keeps_acknowledged_records(broker, topic_name):
    from confluent_kafka import Producer
    tmhelp.ck_create_topic(broker, topic_name, 2)
    p = Producer(tmhelp.ck_conf(broker, {"acks": "all", "linger.ms": 2, "message.timeout.ms": 60000,
                                         "retries": 1000, "retry.backoff.ms": 200}))
    acked = {}  # (partition, offset) -> value
    failed = []

    def on_delivery(err, msg):
        if err is None:
            key = (msg.partition(), msg.offset())
            assert key not in acked or acked[key] == msg.value(), "offset %s acknowledged twice" % (key,)
            acked[key] = msg.value()
        else:
            failed.append((err, msg.value()))

    seq = 0

    def produce_batch(n):
        nonlocal seq
        for _ in range(n):
            p.produce(topic_name, value=b"rec-%06d" % seq, partition=seq % 2, on_delivery=on_delivery)
            seq += 1
        p.poll(0)

    for _ in range(20):          # 20 small batches, each flushed: all acknowledged
        produce_batch(25)
        assert p.flush(20) == 0
    assert len(acked) == 500 and not failed, (len(acked), failed[:3])

    produce_batch(2000)          # a burst in flight...
    deadline = time.monotonic() + 10
    while len(acked) < 700 and time.monotonic() < deadline:
        p.poll(0.01)             # ...some of it acknowledged
    broker.kill9()               # ...and the broker dies mid-stream
    n_at_kill = len(acked)
    broker.start()
    # Outstanding messages are retried against the restarted broker; every
    # delivery report that says OK counts as acknowledged.
    p.flush(60)
    assert len(acked) >= n_at_kill

    total = sum(1 for _ in acked)
    hw = {}
    from confluent_kafka import TopicPartition
    c = tmhelp.ck_consumer(broker)
    try:
        for part in (0, 1):
            lo, hi = c.get_watermark_offsets(TopicPartition(topic_name, part), timeout=10)
            assert lo == 0
            hw[part] = hi
    finally:
        c.close()
    msgs = tmhelp.ck_read_partitions(broker, topic_name, [0, 1], hw[0] + hw[1], timeout=60)
    stored = {(m.partition(), m.offset()): m.value() for m in msgs}
    missing = [k for k in acked if k not in stored]
    wrong = [(k, acked[k], stored[k]) for k in acked if k in stored and stored[k] != acked[k]]
    assert not missing and not wrong, (
        "%d acknowledged records (%d at kill time): %d missing after kill -9 (e.g. %s), %d changed (e.g. %s)"
        % (total, n_at_kill, len(missing), sorted(missing)[:5], len(wrong), wrong[:3]))
    # offsets are dense: nothing but the records themselves in [0, hw)
    for part in (0, 1):
        assert sorted(o for (pp, o) in stored if pp == part) == list(range(hw[part]))
    p = None  # drop the producer (and its threads) now, not at interpreter exit
