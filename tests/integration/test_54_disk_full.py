# test_54_disk_full.py: a full disk (ENOSPC from the faultfs LD_PRELOAD shim,
# see fault/faultfs.c) while clients produce.
#
# What we promise: produces fail with an error the client sees
# (KAFKA_STORAGE_ERROR, retriable: a client with retries keeps trying until
# its delivery timeout), nothing already stored is damaged and it stays
# readable, and once space returns produces work again without a restart;
# a produce that was retrying meanwhile gets through.
import time

import pytest

import tmhelp
from fault import fault_broker, faultfs_shim  # noqa: F401 (fixtures)

KAFKA_STORAGE_ERROR = 56


def raw_produce(b, topic, values, partition=0):
    batch = tmhelp.record_batch([(None, v) for v in values])
    with tmhelp.Wire(b.port) as w:
        body = w.request(0, 3, tmhelp.produce_v3_body(topic, partition, batch))
    return tmhelp.parse_produce_v3(body)[(topic, partition)]


def watermarks(b, topic, partition=0):
    from confluent_kafka import TopicPartition
    c = tmhelp.ck_consumer(b)
    try:
        return c.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
    finally:
        c.close()


def read_values(b, topic, n):
    return [m.value() for m in tmhelp.ck_read_partitions(b, topic, [0], n, timeout=60)]


@pytest.mark.timeout_s(180)
def test_disk_full_refuses_produce_keeps_data_and_recovers(fault_broker, topic_name):
    from confluent_kafka import KafkaError, Producer
    b, f = fault_broker
    tmhelp.ck_create_topic(b, topic_name, 1)
    before = [b"before-%d" % i for i in range(50)]
    acks = tmhelp.ck_produce(b, topic_name, [{"value": v, "partition": 0} for v in before])
    assert acks == [(0, i) for i in range(50)]

    f.set("write=ENOSPC")
    assert raw_produce(b, topic_name, [b"full-raw"]) == (KAFKA_STORAGE_ERROR, -1)
    f.require_fired("disk full")

    # a client without retries gets the error in its delivery report
    p = Producer(tmhelp.ck_conf(b, {"acks": "all", "retries": 0, "message.timeout.ms": 10000}))
    reports = []
    p.produce(topic_name, value=b"full-ck", partition=0, on_delivery=lambda e, m: reports.append(e))
    assert p.flush(20) == 0
    assert len(reports) == 1 and reports[0] is not None, reports
    assert reports[0].code() == KafkaError.KAFKA_STORAGE_ERROR, reports[0]
    del p

    # nothing stored is damaged, and it is still served while the disk is full
    assert watermarks(b, topic_name) == (0, 50)
    assert read_values(b, topic_name, 50) == before

    # a producer with retries keeps trying; when space returns it gets through
    p = Producer(tmhelp.ck_conf(b, {"acks": "all", "message.timeout.ms": 60000, "retry.backoff.ms": 200,
                                    "linger.ms": 0}))
    late = []
    p.produce(topic_name, value=b"late", partition=0,
              on_delivery=lambda e, m: late.append((e, m.offset() if e is None else None)))
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        p.poll(0.1)
    assert late == [], "delivered while the disk was full: %s" % late
    f.clear()
    assert p.flush(30) == 0
    assert late == [(None, 50)], late
    del p

    after = [b"after-%d" % i for i in range(20)]
    acks = tmhelp.ck_produce(b, topic_name, [{"value": v, "partition": 0} for v in after])
    assert acks == [(0, 51 + i) for i in range(20)]
    assert "appends to" in f.stderr_text() and "work again" in f.stderr_text()

    # and all of it is on disk: a restart finds exactly these records
    f.restart()
    assert watermarks(b, topic_name) == (0, 71)
    assert read_values(b, topic_name, 71) == before + [b"late"] + after


@pytest.mark.timeout_s(180)
def test_disk_full_during_segment_roll_recovers(fault_broker, topic_name):
    """A full disk while rolling a segment (index writes fail) may take the
    partition offline (KAFKA_STORAGE_ERROR in Metadata); it comes back by
    itself within seconds of space returning, with its data intact."""
    b, f = fault_broker
    tmhelp.ck_create_topic(b, topic_name, 1, config={"segment.bytes": "2048"})
    big = [b"r%03d-" % i + b"y" * 400 for i in range(12)]
    stored = []
    for v in big[:4]:
        assert raw_produce(b, topic_name, [v]) == (0, len(stored))
        stored.append(v)

    f.set("write=ENOSPC")
    for v in big[4:8]:  # each of these needs a roll sooner or later
        err, base = raw_produce(b, topic_name, [v])
        assert (err, base) == (KAFKA_STORAGE_ERROR, -1), (err, base)
    f.require_fired("No space left on device")
    f.clear()

    deadline = time.monotonic() + 20
    while True:
        err, base = raw_produce(b, topic_name, [big[8]])
        if err == 0:
            break
        assert err == KAFKA_STORAGE_ERROR, err
        assert time.monotonic() < deadline, "partition still refuses produces 20 s after space returned\n%s" % (
            b.stderr_tail())
        time.sleep(0.2)
    assert base == len(stored), "first offset after recovery %d, expected %d" % (base, len(stored))
    text = f.stderr_text()
    if "is now failed" in text:
        assert "reopened failed partition log" in text, text[-3000:]
    stored.append(big[8])
    for v in big[9:]:
        assert raw_produce(b, topic_name, [v]) == (0, len(stored))
        stored.append(v)
    assert watermarks(b, topic_name) == (0, len(stored))
    assert read_values(b, topic_name, len(stored)) == stored
    f.restart()
    assert watermarks(b, topic_name) == (0, len(stored))
    assert read_values(b, topic_name, len(stored)) == stored
