# test_56_restart_segments.py (issue 5: restart time stays bounded with many
# segments): after a clean shutdown no closed segment is rescanned and no
# index is rebuilt; after damaging one closed segment's offset index, exactly
# that segment's indexes are rebuilt, and every record is still readable.
import glob
import os

import tmhelp

N_RECORDS = 600


def _rebuild_lines(b):
    with open(b.stderr_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return [l for l in text.splitlines() if "rebuilding the indexes" in l or "rebuilding it" in l]


def _check_all(b, topic):
    got = tmhelp.ck_read_partitions(b, topic, [0], N_RECORDS)
    offs = [m.offset() for m in got]
    assert offs == list(range(N_RECORDS)), "offsets after restart: %s..." % offs[:10]


def test_restart_rebuilds_only_damaged_indexes(broker, topic_name):
    # ~100-byte records, 4 KiB segments: a few dozen segments
    tmhelp.ck_create_topic(broker, topic_name, 1, config={"segment.bytes": "4096"})
    tmhelp.ck_produce(broker, topic_name, [{"value": b"v%05d" % i + b"x" * 90, "partition": 0}
                                          for i in range(N_RECORDS)], extra={"linger.ms": 0, "batch.num.messages": 1})
    pdir = os.path.join(broker.data_dir, topic_name + "-0")
    segs = sorted(glob.glob(os.path.join(pdir, "*.log")))
    assert len(segs) >= 20, "only %d segments" % len(segs)

    before = len(_rebuild_lines(broker))
    broker.restart()  # clean: SIGTERM writes the recovery checkpoint
    assert len(_rebuild_lines(broker)) == before, "indexes rebuilt after a clean restart: %s" % _rebuild_lines(
        broker)[before:]
    _check_all(broker, topic_name)

    # damage the offset index of one closed segment in the middle
    victim = segs[len(segs) // 2][:-len(".log")] + ".index"
    problems = broker.stop()
    assert not problems, problems
    with open(victim, "r+b") as f:
        f.seek(0)
        f.write(b"\xff" * 8)
    before = len(_rebuild_lines(broker))
    broker.start()
    new = _rebuild_lines(broker)[before:]
    assert len(new) == 1 and os.path.basename(victim)[:-len(".index")] in new[0], \
        "expected exactly one rebuild, of %s: %s" % (os.path.basename(victim), new)
    _check_all(broker, topic_name)
