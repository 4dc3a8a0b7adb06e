# test_10_produce_consume.py: basic produce/consume with confluent-kafka
# (librdkafka) and kafka-python: values, keys, headers, offsets, watermarks.
from confluent_kafka import TopicPartition

import tmhelp


def _records(n, partition=None, prefix="v"):
    out = []
    for i in range(n):
        r = {"key": b"k%d" % i, "value": b"%s%d" % (prefix.encode(), i),
             "headers": [("h1", b"x%d" % i), ("h2", None if i % 2 else b"")]}
        if partition is not None:
            r["partition"] = partition
        out.append(r)
    return out


def test_ck_roundtrip_keys_headers_offsets(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    recs = _records(20, partition=0)
    acks = tmhelp.ck_produce(broker, topic_name, recs)
    assert acks == [(0, i) for i in range(20)], "acked (partition, offset) pairs: %s" % acks
    msgs = tmhelp.ck_read_partitions(broker, topic_name, [0], 20)
    assert [m.offset() for m in msgs] == list(range(20))
    for i, m in enumerate(msgs):
        assert m.key() == b"k%d" % i
        assert m.value() == b"v%d" % i
        hdrs = m.headers() or []
        assert hdrs == [("h1", b"x%d" % i), ("h2", None if i % 2 else b"")], "offset %d headers %r" % (i, hdrs)


def test_ck_multi_partition_offsets(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 3)
    recs = []
    for p in range(3):
        recs += _records(5, partition=p, prefix="p%d-" % p)
    acks = tmhelp.ck_produce(broker, topic_name, recs)
    for p in range(3):
        assert [o for (pp, o) in acks if pp == p] == list(range(5)), "partition %d acks %s" % (p, acks)
    msgs = tmhelp.ck_read_partitions(broker, topic_name, [0, 1, 2], 15)
    for p in range(3):
        got = [(m.offset(), m.value()) for m in msgs if m.partition() == p]
        assert got == [(i, b"p%d-%d" % (p, i)) for i in range(5)], "partition %d: %s" % (p, got)


def test_ck_null_key_and_value(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    tmhelp.ck_produce(broker, topic_name, [{"value": None, "key": b"tombstone-key", "partition": 0},
                                           {"value": b"no-key", "partition": 0},
                                           {"value": b"", "key": b"", "partition": 0}])
    msgs = tmhelp.ck_read_partitions(broker, topic_name, [0], 3)
    assert [(m.key(), m.value()) for m in msgs] == [(b"tombstone-key", None), (None, b"no-key"), (b"", b"")]


def test_ck_large_message_and_batch(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    big = bytes(range(256)) * 2000  # 512000 bytes, below message.max.bytes
    recs = [{"value": big, "partition": 0}] + [{"value": b"s%d" % i, "partition": 0} for i in range(500)]
    acks = tmhelp.ck_produce(broker, topic_name, recs)
    assert acks[-1] == (0, 500)
    msgs = tmhelp.ck_read_partitions(broker, topic_name, [0], 501)
    assert msgs[0].value() == big
    assert [m.value() for m in msgs[1:]] == [b"s%d" % i for i in range(500)]


def test_watermarks(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 2)
    tmhelp.ck_produce(broker, topic_name, _records(7, partition=1))
    c = tmhelp.ck_consumer(broker)
    try:
        assert c.get_watermark_offsets(TopicPartition(topic_name, 0), timeout=10) == (0, 0)
        assert c.get_watermark_offsets(TopicPartition(topic_name, 1), timeout=10) == (0, 7)
    finally:
        c.close()


def test_autocreate_on_produce(broker, topic_name):
    # auto.create.topics.enable defaults to true: the first produce to an
    # unknown topic creates it and is acknowledged at offset 0.
    acks = tmhelp.ck_produce(broker, topic_name, [{"value": b"first"}])
    assert acks == [(0, 0)]
    msgs = tmhelp.ck_read_partitions(broker, topic_name, [0], 1)
    assert msgs[0].value() == b"first"


def test_kp_roundtrip(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 2)
    p = tmhelp.kp_producer(broker)
    try:
        futs = [p.send(topic_name, key=b"k%d" % i, value=b"v%d" % i, partition=i % 2,
                       headers=[("h", b"%d" % i)]) for i in range(10)]
        p.flush(timeout=20)
        metas = [f.get(timeout=20) for f in futs]
    finally:
        p.close(timeout=10)
    assert [(m.partition, m.offset) for m in metas] == [(i % 2, i // 2) for i in range(10)]
    c = tmhelp.kp_consumer(broker)
    try:
        from kafka import TopicPartition as KTP
        c.assign([KTP(topic_name, 0), KTP(topic_name, 1)])
        c.seek_to_beginning()
        msgs = tmhelp.kp_poll_n(c, 10)
    finally:
        c.close()
    got = sorted((m.partition, m.offset, m.key, m.value, list(m.headers)) for m in msgs)
    want = sorted((i % 2, i // 2, b"k%d" % i, b"v%d" % i, [("h", b"%d" % i)]) for i in range(10))
    assert got == want
