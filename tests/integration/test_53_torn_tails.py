# test_53_torn_tails.py: damaged segment files after a stop. The broker must
# start, cut a torn or corrupt tail back to the last valid batch (saying so
# in its log), rebuild missing or truncated indexes, and serve what is left:
# reads, watermarks and offsets_for_times.
#   (a) the last segment cut mid-batch      -> log ends before that batch
#   (b) a byte flipped in the last batch    -> log ends before that batch
#   (c) .index files truncated              -> log complete
#   (d) .timeindex files deleted            -> log complete
import os
import struct

import pytest

import tmhelp

N = 200
T0 = 1_700_000_000_000
SEGMENT_BYTES = 4096


def value(i):
    return b"torn-%05d-" % i + b"x" * 100


def produce_one_per_batch(b, topic):
    """N batches of one record each: record i at offset i with timestamp T0 + 1000 i."""
    with tmhelp.Wire(b.port) as w:
        for i in range(N):
            batch = tmhelp.record_batch([(b"k%d" % i, value(i))], base_ts=T0 + 1000 * i)
            res = tmhelp.parse_produce_v3(w.request(0, 3, tmhelp.produce_v3_body(topic, 0, batch)))
            assert res[(topic, 0)] == (0, i), "produce %d: %s" % (i, res)


def part_dir(b, topic):
    return os.path.join(b.data_dir, "%s-0" % topic)


def segment_files(b, topic, ext):
    d = part_dir(b, topic)
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(ext))


def batches(path):
    """[(position, base_offset, size)] of the batches in a .log file."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos + 12 <= len(data):
        base, length = struct.unpack(">qi", data[pos:pos + 12])
        out.append((pos, base, length + 12))
        pos += length + 12
    return out


def check_log(b, topic, end, what):
    """Watermarks (0, end), records 0..end-1 with their values, offsets_for_times."""
    from confluent_kafka import TopicPartition
    c = tmhelp.ck_consumer(b)
    try:
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        assert (lo, hi) == (0, end), "%s: watermarks (%d, %d), expected (0, %d)" % (what, lo, hi, end)
        for k in (0, 1, end // 2, end - 1, end):
            got = c.offsets_for_times([TopicPartition(topic, 0, T0 + 1000 * k)], timeout=10)[0]
            want = k if k < end else -1
            assert got.error is None and got.offset == want, (
                "%s: offsets_for_times(T0 + %d s) = %s, expected %d" % (what, k, got, want))
    finally:
        c.close()
    msgs = tmhelp.ck_read_partitions(b, topic, [0], end, timeout=60)
    got = [(m.offset(), m.value()) for m in msgs]
    assert got == [(i, value(i)) for i in range(end)], "%s: records differ (first %s)" % (what, got[:2])


def stderr_since_last_start(b):
    with open(b.stderr_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return text[text.rfind("==== start #"):]


def cut_mid_batch(b, topic):
    path = segment_files(b, topic, ".log")[-1]
    pos, base, size = batches(path)[-1]
    with open(path, "r+b") as f:
        f.truncate(pos + size // 2)
    return base


def flip_byte(b, topic):
    path = segment_files(b, topic, ".log")[-1]
    pos, base, size = batches(path)[-1]
    with open(path, "r+b") as f:
        f.seek(pos + size - 3)  # inside the record's value: only the CRC tells
        c = f.read(1)
        f.seek(pos + size - 3)
        f.write(bytes([c[0] ^ 0x20]))
    return base


def truncate_indexes(b, topic):
    files = segment_files(b, topic, ".index")
    assert len(files) >= 3, "expected several segments, got %s" % files
    for path in files[:-1]:
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.truncate(size // 2 + 3)  # not a whole number of entries
    with open(files[-1], "r+b") as f:
        f.truncate(0)
    return N


def delete_timeindexes(b, topic):
    files = segment_files(b, topic, ".timeindex")
    assert len(files) >= 3, "expected several segments, got %s" % files
    for path in files:
        os.unlink(path)
    return N


CASES = {
    "cut_mid_batch": (cut_mid_batch, True),
    "flip_byte": (flip_byte, True),
    "truncate_index": (truncate_indexes, False),
    "delete_timeindex": (delete_timeindexes, False),
}


@pytest.mark.timeout_s(180)
@pytest.mark.parametrize("case", sorted(CASES))
def test_damaged_files_recover(broker, topic_name, case):
    damage, expect_cut = CASES[case]
    tmhelp.ck_create_topic(broker, topic_name, 1, config={"segment.bytes": str(SEGMENT_BYTES)})
    produce_one_per_batch(broker, topic_name)
    check_log(broker, topic_name, N, "before")
    problems = broker.stop()
    assert not problems, problems

    end = damage(broker, topic_name)
    broker.start()

    log = stderr_since_last_start(broker)
    if expect_cut:
        assert "cut " in log and "at offset %d" % end in log, (
            "no 'cut ... at offset %d' line in the broker log:\n%s" % (end, log[-3000:]))
    else:
        assert "cut " not in log, "unexpected cut:\n%s" % log[-3000:]
        assert "rebuilding the indexes of" in log, "indexes not rebuilt:\n%s" % log[-3000:]
    check_log(broker, topic_name, end, case)

    # the log goes on at the right offset, and survives another restart
    acks = tmhelp.ck_produce(broker, topic_name, [{"value": b"after", "partition": 0}])
    assert acks == [(0, end)], acks
    broker.restart()
    assert "cut " not in stderr_since_last_start(broker)
    msgs = tmhelp.ck_read_partitions(broker, topic_name, [0], end + 1, timeout=60)
    assert [m.offset() for m in msgs] == list(range(end + 1))
    assert msgs[-1].value() == b"after"
