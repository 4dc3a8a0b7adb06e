# test_12_offsets_lookup.py: ListOffsets by time (offsets_for_times), earliest
# and latest, from confluent-kafka and kafka-python; MAX_TIMESTAMP (-3, raw
# v7: no installed client sends it) with timestamps out of order inside a
# batch, compressed or not; lookups after DeleteRecords and retention (never
# below the log start); a partition listed twice in one request.
import gzip

import pytest
from confluent_kafka import TopicPartition

import tmhelp
from flexwire import TAGS, carray, cstr, delete_records, flexible_request
from tmhelp import Reader, i8, i16, i32, i64, karray, kstr, varint

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


# ------------------------------------------- raw batches, ListOffsets v1/v7

# record timestamps (BASE_TS + these) out of order inside one batch: the
# largest, 6000, first at offset 5; 5000 at offset 1
TS = [1000, 5000, 3000, 2000, 4000, 6000, 6000, 500]
ERR_INVALID_REQUEST = 42
ERR_UNKNOWN_TOPIC = 3


def ts_batch(deltas, gzipped=False, size=8):
    """RecordBatch v2 with record i at BASE_TS + deltas[i] (value: its index)."""
    recs = b""
    for i, d in enumerate(deltas):
        v = b"%d" % i + b"v" * size
        body = i8(0) + varint(d - deltas[0]) + varint(i) + varint(-1) + varint(len(v)) + v + varint(0)
        recs += varint(len(body)) + body
    if gzipped:
        recs = gzip.compress(recs)
    after_crc = (i16(1 if gzipped else 0) + i32(len(deltas) - 1) + i64(BASE_TS + deltas[0])
                 + i64(BASE_TS + max(deltas)) + i64(-1) + i16(-1) + i32(-1) + i32(len(deltas)) + recs)
    tail = i32(-1) + i8(2) + tmhelp.u32(tmhelp.crc32c(after_crc)) + after_crc
    return i64(0) + i32(len(tail)) + tail


def produce_raw(b, topic, partition, batch):
    with tmhelp.Wire(b.port) as w:
        out = tmhelp.parse_produce_v3(w.request(0, 3, tmhelp.produce_v3_body(topic, partition, batch)))
    err, base = out[(topic, partition)]
    assert err == 0, "produce: error %d" % err
    return base


def list_offsets_v7(b, entries, isolation=0):
    """entries = [(topic, [(partition, timestamp)])], names may repeat
    -> [(topic, partition, error, timestamp, offset)] in response order."""
    body = i32(-1) + i8(isolation) + carray([
        cstr(t) + carray([i32(p) + i32(-1) + i64(ts) + TAGS for p, ts in parts]) + TAGS
        for t, parts in entries]) + TAGS
    with tmhelp.Wire(b.port) as w:
        r = flexible_request(w, 2, 7, body)
        r.i32()  # throttle
        out = []
        for _ in range(r.carray_len()):
            name = r.cstr()
            for _ in range(r.carray_len()):
                p, err, ts, off = r.i32(), r.i16(), r.i64(), r.i64()
                r.i32()  # leader epoch
                r.tags()
                out.append((name, p, err, ts, off))
            r.tags()
        return out


def list_offsets_v1(b, entries):
    """ListOffsets v1 (header v1, no tags); same shapes as list_offsets_v7."""
    body = i32(-1) + karray([kstr(t) + karray([i32(p) + i64(ts) for p, ts in parts])
                             for t, parts in entries])
    with tmhelp.Wire(b.port) as w:
        r = Reader(w.request(2, 1, body))
        out = []
        for _ in range(r.i32()):
            name = r.str()
            for _ in range(r.i32()):
                out.append((name, r.i32(), r.i16(), r.i64(), r.i64()))
        return out


def one(b, topic, ts, partition=0, isolation=0):
    """(offset, timestamp) of one raw v7 lookup; asserts no error."""
    (_t, p, err, t, off), = list_offsets_v7(b, [(topic, [(partition, ts)])], isolation)
    assert (p, err) == (partition, 0), "ListOffsets %d of %s: error %d" % (ts, topic, err)
    return off, t


def test_max_timestamp_is_the_record(broker, topic_name):
    """-3 answers the first record holding the largest timestamp, not its
    batch's base offset (Kafka 3.8+, KAFKA-16310), also in a gzip batch and
    when that batch is not the first."""
    tmhelp.ck_create_topic(broker, topic_name, 3)
    assert produce_raw(broker, topic_name, 0, ts_batch(TS)) == 0
    assert produce_raw(broker, topic_name, 1, ts_batch(TS, gzipped=True)) == 0
    assert produce_raw(broker, topic_name, 2, ts_batch([100, 200])) == 0
    assert produce_raw(broker, topic_name, 2, ts_batch([150, 900, 300, 900])) == 2
    for iso in (0, 1):
        assert one(broker, topic_name, -3, 0, iso) == (5, BASE_TS + 6000)
        assert one(broker, topic_name, -3, 1, iso) == (5, BASE_TS + 6000)
        assert one(broker, topic_name, -3, 2, iso) == (3, BASE_TS + 900)
    # by time in the compressed batch: the first record with ts >= T
    assert one(broker, topic_name, BASE_TS + 4500, 1) == (1, BASE_TS + 5000)
    assert one(broker, topic_name, BASE_TS + 5500, 1) == (5, BASE_TS + 6000)
    assert one(broker, topic_name, BASE_TS + 6001, 1) == (-1, -1)
    # an empty partition: none
    tmhelp.ck_create_topic(broker, topic_name + "e", 1)
    assert one(broker, topic_name + "e", -3) == (-1, -1)


def test_offsets_for_times_after_delete_records(broker, topic_name):
    """DeleteRecords to 3 leaves offsets 0..2 in the segment (same batch):
    lookups by time start at the log start, as Kafka searches from
    logStartOffset; so do EARLIEST and MAX_TIMESTAMP."""
    tmhelp.ck_create_topic(broker, topic_name, 1)
    assert produce_raw(broker, topic_name, 0, ts_batch(TS)) == 0
    assert delete_records(broker, topic_name, [(0, 3)]) == {0: (0, 3)}
    assert one(broker, topic_name, -2) == (3, -1)
    assert one(broker, topic_name, BASE_TS) == (3, BASE_TS + 2000)
    assert one(broker, topic_name, BASE_TS + 4500) == (5, BASE_TS + 6000)
    assert one(broker, topic_name, BASE_TS + 5000) == (5, BASE_TS + 6000), "offset 1 is deleted"
    assert one(broker, topic_name, -3) == (5, BASE_TS + 6000)

    c = tmhelp.ck_consumer(broker, extra={"auto.offset.reset": "latest"})
    try:
        def lookup(ts):
            r = c.offsets_for_times([TopicPartition(topic_name, 0, ts)], timeout=10)
            assert r[0].error is None, "offsets_for_times(%d): %s" % (ts, r[0].error)
            return r[0].offset
        assert lookup(BASE_TS) == 3
        assert lookup(BASE_TS + 1000) == 3
        assert lookup(BASE_TS + 4500) == 5
        assert lookup(BASE_TS + 6001) == -1
        # seeking there reads on from the start, no reset to the end
        c.assign([TopicPartition(topic_name, 0, lookup(BASE_TS))])
        m = tmhelp.ck_poll_n(c, 1)[0]
        assert (m.offset(), m.value()[:1]) == (3, b"3")
    finally:
        c.close()

    from kafka import TopicPartition as KTP
    kc = tmhelp.kp_consumer(broker)
    try:
        tp = KTP(topic_name, 0)
        assert kc.beginning_offsets([tp]) == {tp: 3}
        r = kc.offsets_for_times({tp: BASE_TS})
        assert (r[tp].offset, r[tp].timestamp) == (3, BASE_TS + 2000), r
        r = kc.offsets_for_times({tp: BASE_TS + 5000})
        assert (r[tp].offset, r[tp].timestamp) == (5, BASE_TS + 6000), r
    finally:
        kc.close()

    # past the first record with the max: the next one; past both: 500
    assert delete_records(broker, topic_name, [(0, 6)]) == {0: (0, 6)}
    assert one(broker, topic_name, -3) == (6, BASE_TS + 6000)
    assert one(broker, topic_name, BASE_TS) == (6, BASE_TS + 6000)
    assert delete_records(broker, topic_name, [(0, 7)]) == {0: (0, 7)}
    assert one(broker, topic_name, -3) == (7, BASE_TS + 500)
    assert one(broker, topic_name, BASE_TS) == (7, BASE_TS + 500)
    assert one(broker, topic_name, BASE_TS + 501) == (-1, -1)


def test_lookups_after_segments_deleted(broker, topic_name):
    """DeleteRecords into a batch of a later segment deletes the segments
    before it; lookups never reach below the start."""
    # no time retention: these 2023 timestamps are older than the default
    tmhelp.ck_create_topic(broker, topic_name, 1, config={"segment.bytes": "1024", "retention.ms": "-1"})
    for k in range(5):  # one batch per segment (about 900 bytes each)
        assert produce_raw(broker, topic_name, 0, ts_batch(TS, size=100)) == 8 * k
    assert delete_records(broker, topic_name, [(0, 26)]) == {0: (0, 26)}
    assert one(broker, topic_name, -2) == (26, -1)
    assert one(broker, topic_name, BASE_TS) == (26, BASE_TS + 3000)
    assert one(broker, topic_name, BASE_TS + 5000) == (29, BASE_TS + 6000)
    assert one(broker, topic_name, -3) == (29, BASE_TS + 6000)
    c = tmhelp.ck_consumer(broker)
    try:
        r = c.offsets_for_times([TopicPartition(topic_name, 0, BASE_TS - 1)], timeout=10)
        assert r[0].offset == 26
    finally:
        c.close()


@pytest.mark.overrides(**{"log.retention.check.interval.ms": 300})
def test_lookups_after_time_retention(broker, topic_name):
    """Time retention deletes the old segments (their records are from
    2023): lookups answer from the first kept segment on."""
    tmhelp.ck_create_topic(broker, topic_name, 1, config={"segment.bytes": "1024",
                                                        "retention.ms": "86400000"})
    for k in range(4):  # one batch per segment; the active one (24..31) stays
        produce_raw(broker, topic_name, 0, ts_batch(TS, size=100))
    tmhelp.wait_until(lambda: one(broker, topic_name, -2)[0] == 24, 20, "retention to delete 3 segments")
    assert one(broker, topic_name, BASE_TS - 1) == (24, BASE_TS + 1000)
    assert one(broker, topic_name, BASE_TS + 5000) == (25, BASE_TS + 5000)
    assert one(broker, topic_name, -3) == (29, BASE_TS + 6000)


def test_duplicate_partitions(broker, topic_name):
    """Every entry of a partition listed twice (also across two entries of
    the same topic) gets INVALID_REQUEST (KafkaApis: duplicatePartitions);
    the others are answered."""
    tmhelp.ck_create_topic(broker, topic_name, 3)
    produce_raw(broker, topic_name, 2, ts_batch([1, 2]))
    entries = [(topic_name, [(0, -2), (1, -1), (0, -1)]),
               (topic_name, [(2, -1), (1, -2)]),
               (topic_name + "-nope", [(0, -1), (0, -1), (1, -1)])]
    want = [(topic_name, 0, ERR_INVALID_REQUEST), (topic_name, 1, ERR_INVALID_REQUEST),
            (topic_name, 0, ERR_INVALID_REQUEST), (topic_name, 2, 0), (topic_name, 1, ERR_INVALID_REQUEST),
            (topic_name + "-nope", 0, ERR_INVALID_REQUEST), (topic_name + "-nope", 0, ERR_INVALID_REQUEST),
            (topic_name + "-nope", 1, ERR_UNKNOWN_TOPIC)]
    for lo in (list_offsets_v1, list_offsets_v7):
        got = lo(broker, entries)
        assert [(t, p, e) for t, p, e, _ts, _o in got] == want, lo.__name__
        assert [(ts, o) for _t, _p, e, ts, o in got if e] == [(-1, -1)] * 7
        assert got[3][4] == 2, "partition 2 answered normally"
