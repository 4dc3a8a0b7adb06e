# test_12_offsets_lookup.py: ListOffsets by time (offsets_for_times), earliest
# and latest, from confluent-kafka and kafka-python.
from confluent_kafka import TopicPartition

import tmhelp

BASE_TS = 1_700_000_000_000


def _produce_timed(b, topic, n=10):
    recs = [{"value": b"t%d" % i, "partition": 0, "timestamp": BASE_TS + i * 1000} for i in range(n)]
    tmhelp.ck_produce(b, topic, recs, extra={"linger.ms": 0})


def test_ck_offsets_for_times(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    _produce_timed(broker, topic_name)
    c = tmhelp.ck_consumer(broker)
    try:
        def lookup(ts):
            r = c.offsets_for_times([TopicPartition(topic_name, 0, ts)], timeout=10)
            assert r[0].error is None, "offsets_for_times(%d): %s" % (ts, r[0].error)
            return r[0].offset
        assert lookup(BASE_TS + 5000) == 5, "exact timestamp of offset 5"
        assert lookup(BASE_TS + 4500) == 5, "between offsets 4 and 5 -> first with ts >= T"
        assert lookup(BASE_TS - 99999) == 0, "before the first record"
        assert lookup(BASE_TS + 9000) == 9, "last record"
        assert lookup(BASE_TS + 10 * 1000 + 1) == -1, "past the end -> -1"
        # the timestamps come back on consume too (CreateTime)
        c.assign([TopicPartition(topic_name, 0, 3)])
        m = tmhelp.ck_poll_n(c, 1)[0]
        assert m.offset() == 3 and m.timestamp() == (1, BASE_TS + 3000), m.timestamp()
    finally:
        c.close()


def test_kp_offsets_for_times_and_ends(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    _produce_timed(broker, topic_name)
    from kafka import TopicPartition as KTP
    c = tmhelp.kp_consumer(broker)
    try:
        tp = KTP(topic_name, 0)
        assert c.beginning_offsets([tp], ) == {tp: 0}
        assert c.end_offsets([tp]) == {tp: 10}
        r = c.offsets_for_times({tp: BASE_TS + 7000})
        assert r[tp] is not None and r[tp].offset == 7 and r[tp].timestamp == BASE_TS + 7000, r
        r = c.offsets_for_times({tp: BASE_TS + 60_000})
        assert r[tp] is None, "past the end: kafka-python maps offset -1 to None, got %r" % (r,)
    finally:
        c.close()
