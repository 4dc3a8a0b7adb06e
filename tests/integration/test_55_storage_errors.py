# test_55_storage_errors.py: a failing disk (EIO from the faultfs LD_PRELOAD
# shim, see fault/faultfs.c).
#
# After a failed fsync the partition is failed: the produce waiting for that
# fsync gets KAFKA_STORAGE_ERROR (never success), the un-synced records are
# never served (consumers read below the durable offset only), Metadata
# reports the partition offline, and nothing is retried on the same pages.
# Once the disk works again the broker reopens the partition by itself
# (recovery + truncation to the durable offset, at most once a second): the
# records of the failed produce are gone, the offsets are reused, everything
# acknowledged before is intact. Same for EIO on write. OffsetCommit waits
# for the same fsync and fails the same way.
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


def partition_error(b, topic, partition=0):
    md = tmhelp.ck_admin(b).list_topics(topic, timeout=10)
    err = md.topics[topic].partitions[partition].error
    return None if err is None else err.code()


def watermarks(b, topic, partition=0):
    from confluent_kafka import TopicPartition
    c = tmhelp.ck_consumer(b)
    try:
        return c.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
    finally:
        c.close()


def read_values(b, topic, n):
    return [m.value() for m in tmhelp.ck_read_partitions(b, topic, [0], n, timeout=60)]


def wait_reopened(b, topic, f):
    tmhelp.wait_until(lambda: partition_error(b, topic) is None, 20, "the failed partition to come back")
    assert "reopened failed partition log" in f.stderr_text()


@pytest.mark.timeout_s(180)
@pytest.mark.parametrize("fault", ["fsync=EIO", "write=EIO"])
def test_io_error_fails_produce_and_partition_recovers(fault_broker, topic_name, fault):
    from confluent_kafka import KafkaError
    b, f = fault_broker
    tmhelp.ck_create_topic(b, topic_name, 1)
    before = [b"before-%d" % i for i in range(20)]
    for i, v in enumerate(before):
        assert raw_produce(b, topic_name, [v]) == (0, i)

    f.set(fault)
    # acks=all: answered only after the fsync, which failed
    assert raw_produce(b, topic_name, [b"lost-1", b"lost-2"]) == (KAFKA_STORAGE_ERROR, -1)
    f.require_fired("fsync failed" if fault.startswith("fsync") else "Input/output error")
    assert "is now failed" in f.stderr_text()
    # while the disk fails, every produce fails. With failing fsyncs the
    # partition stays offline (the once-a-second reopen needs an fsync too);
    # with failing writes a reopen may succeed (nothing to write), and the
    # next append fails the partition again.
    assert raw_produce(b, topic_name, [b"lost-3"]) == (KAFKA_STORAGE_ERROR, -1)
    time.sleep(2.5)
    assert raw_produce(b, topic_name, [b"lost-4"]) == (KAFKA_STORAGE_ERROR, -1)
    if fault.startswith("fsync"):
        assert partition_error(b, topic_name) == KafkaError.KAFKA_STORAGE_ERROR
        assert "reopened failed partition log" not in f.stderr_text()

    f.clear()
    wait_reopened(b, topic_name, f)
    # the records of the failed produce were never durable: gone, offsets reused
    assert watermarks(b, topic_name) == (0, 20)
    assert read_values(b, topic_name, 20) == before
    acks = tmhelp.ck_produce(b, topic_name, [{"value": b"after", "partition": 0}])
    assert acks == [(0, 20)], acks
    f.restart()
    assert watermarks(b, topic_name) == (0, 21)
    assert read_values(b, topic_name, 21) == before + [b"after"]


@pytest.mark.timeout_s(180)
def test_fsync_eio_never_serves_unsynced_records(fault_broker, topic_name):
    """acks=1 answers after write(), before the fsync: when that fsync fails,
    consumers must still never see those records."""
    b, f = fault_broker
    tmhelp.ck_create_topic(b, topic_name, 1)
    for i in range(5):
        assert raw_produce(b, topic_name, [b"ok-%d" % i]) == (0, i)
    f.set("fsync=EIO")
    batch = tmhelp.record_batch([(None, b"unsynced")])
    with tmhelp.Wire(b.port) as w:
        res = tmhelp.parse_produce_v3(w.request(0, 3, tmhelp.produce_v3_body(topic_name, 0, batch, acks=1)))
    assert res[(topic_name, 0)] == (0, 5), res  # written, not yet synced
    tmhelp.wait_until(lambda: "fsync failed" in f.stderr_text(), 10, "the failed fsync")
    from confluent_kafka import TopicPartition
    c = tmhelp.ck_consumer(b)
    try:
        c.assign([TopicPartition(topic_name, 0, 0)])
        seen = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is not None and not m.error():
                seen.append(m.value())
        assert b"unsynced" not in seen, seen
    finally:
        c.close()
    f.clear()
    wait_reopened(b, topic_name, f)
    assert watermarks(b, topic_name) == (0, 5)
    assert read_values(b, topic_name, 5) == [b"ok-%d" % i for i in range(5)]


@pytest.mark.timeout_s(180)
def test_offset_commit_fails_on_fsync_error(fault_broker, topic_name):
    """A commitSync is answered after the __consumer_offsets fsync: if that
    fails the client gets an error, and the last good commit stays."""
    from confluent_kafka import KafkaException, TopicPartition
    b, f = fault_broker
    tmhelp.ck_create_topic(b, topic_name, 1)
    tmhelp.ck_produce(b, topic_name, [{"value": b"m%d" % i, "partition": 0} for i in range(10)])
    group = tmhelp.unique_name("g")
    c = tmhelp.ck_consumer(b, group)
    try:
        c.commit(offsets=[TopicPartition(topic_name, 0, 3)], asynchronous=False)
        f.set("fsync=EIO")
        with pytest.raises(KafkaException):
            res = c.commit(offsets=[TopicPartition(topic_name, 0, 7)], asynchronous=False)
            # some versions report per-partition errors instead of raising
            errs = [p.error for p in res if p.error is not None]
            if errs:
                raise KafkaException(errs[0])
        f.require_fired("fsync failed")
        f.clear()

        def committed():
            got = c.committed([TopicPartition(topic_name, 0)], timeout=5)[0]
            return got.offset if got.error is None else None
        # the failed commit is not there
        tmhelp.wait_until(lambda: committed() is not None, 30, "OffsetFetch to work")
        assert committed() == 3

        def commit_ok():
            c.commit(offsets=[TopicPartition(topic_name, 0, 8)], asynchronous=False)
            return True
        tmhelp.wait_until(commit_ok, 30, "commits to work again")
        assert committed() == 8
    finally:
        c.close()
    f.restart()
    c = tmhelp.ck_consumer(b, group)
    try:
        got = c.committed([TopicPartition(topic_name, 0)], timeout=10)[0]
        assert got.offset == 8, got
    finally:
        c.close()
