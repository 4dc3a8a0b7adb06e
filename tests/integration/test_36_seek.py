# test_36_seek.py (issue 3, scenario 7): assign partition 0 at offset 1500 of a
# 2000-record topic; seek to the beginning, the end and by time.
import time

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, TopicPartition

import grouphelp as gh
import tmhelp


def test_seek(broker, topic_name):
    topic = "my-topic-" + topic_name  # the seed uses 'my-topic'
    tmhelp.ck_create_topic(broker, topic, 1)
    t0 = int(time.time() * 1000) - 100_000
    tmhelp.ck_produce(broker, topic, [{"value": b"r%d" % i, "partition": 0, "timestamp": t0 + i * 10}
                                      for i in range(2000)], extra={"linger.ms": 20})
    stats = tmhelp.FetchStats()
    c = tmhelp.ck_consumer(broker, group="my-seek-group-" + topic_name, extra=stats.conf())
    try:
        tp = TopicPartition(topic, 0, 1500)
        c.assign([tp])
        m = tmhelp.ck_poll_n(c, 1)[0]
        assert (m.offset(), m.value()) == (1500, b"r1500")

        c.seek(TopicPartition(topic, 0, OFFSET_BEGINNING))
        m = _next_after_seek(c, lambda m: m.offset() < 1500)
        assert m.offset() == 0, "after seek to beginning got offset %d" % m.offset()

        c.seek(TopicPartition(topic, 0, OFFSET_END))
        tmhelp.wait_until(lambda: stats.fetch_pos(c, topic, 0) == ("active", 2000), 20,
                          "fetcher at the end after seek (librdkafka stats: next_offset 2000)")
        gh.produce_n(broker, topic, 1, prefix="tail")
        m = tmhelp.ck_poll_n(c, 1)[0]
        assert (m.offset(), m.value()) == (2000, b"tail0")

        found = c.offsets_for_times([TopicPartition(topic, 0, t0 + 1234 * 10)], timeout=10)[0]
        assert found.offset == 1234
        c.seek(found)
        m = _next_after_seek(c, lambda m: m.offset() < 2000)
        assert m.offset() == 1234
    finally:
        c.close()


def _next_after_seek(c, is_after_seek, timeout=20):
    # messages already fetched before the seek may still be delivered; skip
    # those (they are at offsets the predicate rejects)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        if is_after_seek(m):
            return m
    raise AssertionError("no message after seek")
