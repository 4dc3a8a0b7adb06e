# test_51_compaction.py (issue 5): cleanup.policy=compact. The log cleaner
# keeps the latest record per key in closed segments (offsets unchanged, so
# a consumer sees gaps), drops tombstones past delete.retention.ms, handles
# compressed batches, and keeps __consumer_offsets small so that a restart
# replays few batches. The broker logs one line per cleaning pass:
#   cleaned '<dir>': ... clean up to offset O in M ms
# which the tests wait for.
import os
import re
import time

import pytest

import grouphelp as gh
import tmhelp

BROKER_OVERRIDES = {"log.cleaner.backoff.ms": 300}

KEYS = 30
ROUNDS = 12
DELETED = 5  # keys 0..4 get a tombstone after the last round


def _stderr(b):
    with open(b.stderr_path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def _cleaned_upto(b, dirname):
    """The largest "clean up to offset" logged for the partition dir, or -1."""
    best = -1
    pat = re.compile(r"cleaned '([^']*)':.* clean up to offset (\d+) in")
    for m in pat.finditer(_stderr(b)):
        if os.path.basename(m.group(1)) == dirname:
            best = max(best, int(m.group(2)))
    return best


def _consume_all(b, topic, expect_end):
    """Every record of partition 0 (assign, from the beginning) up to the
    offset expect_end (exclusive)."""
    from confluent_kafka import OFFSET_BEGINNING, TopicPartition
    c = tmhelp.ck_consumer(b)
    out = []
    try:
        c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        deadline = time.monotonic() + 60
        while (not out or out[-1].offset() < expect_end - 1) and time.monotonic() < deadline:
            m = c.poll(1.0)
            if m is None:
                continue
            assert not m.error(), "consumer error: %s" % m.error()
            out.append(m)
    finally:
        c.close()
    assert out and out[-1].offset() == expect_end - 1, "did not read up to %d" % expect_end
    return out


@pytest.mark.timeout_s(240)
@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_compacted_topic_keeps_latest_per_key(broker, topic_name, codec):
    tmhelp.ck_create_topic(broker, topic_name, 1, config={
        "cleanup.policy": "compact", "segment.bytes": "4096", "delete.retention.ms": "0",
        "min.compaction.lag.ms": "0"})
    latest = {}
    produced = 0
    for r in range(ROUNDS):
        recs = [{"key": b"k%d" % k, "value": b"v%d-%d" % (k, r), "partition": 0}
                for k in range(KEYS)]
        tmhelp.ck_produce(broker, topic_name, recs,
                          extra={"compression.type": codec, "linger.ms": 20})
        produced += len(recs)
        latest.update({b"k%d" % k: b"v%d-%d" % (k, r) for k in range(KEYS)})
    tomb = [{"key": b"k%d" % k, "value": None, "partition": 0} for k in range(DELETED)]
    tmhelp.ck_produce(broker, topic_name, tomb, extra={"compression.type": codec})
    produced += len(tomb)
    for k in range(DELETED):
        latest[b"k%d" % k] = None
    # filler that pushes the real data out of the active segment
    filler = [{"key": b"f%d" % i, "value": b"x" * 200, "partition": 0} for i in range(40)]
    tmhelp.ck_produce(broker, topic_name, filler,
                      extra={"compression.type": "none", "batch.num.messages": 5})
    produced += len(filler)
    for i in range(40):
        latest[b"f%d" % i] = b"x" * 200

    dirname = topic_name + "-0"
    upto = tmhelp.wait_until(lambda: _cleaned_upto(broker, dirname) >= ROUNDS * KEYS + DELETED and
                             _cleaned_upto(broker, dirname), 60,
                             "the cleaner to pass the tombstones of %s" % dirname)
    msgs = _consume_all(broker, topic_name, produced)
    offsets = [m.offset() for m in msgs]
    assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)
    assert len(msgs) < produced, "nothing was compacted"
    assert any(b - a > 1 for a, b in zip(offsets, offsets[1:])), "offsets should have gaps"
    seen = {}
    for m in msgs:
        if m.offset() < upto:
            # cleaned part: one record per key, and no tombstone survives
            # (delete.retention.ms=0)
            assert m.key() not in seen, "key %r twice below offset %d" % (m.key(), upto)
            assert m.value() is not None, "tombstone of %r kept" % m.key()
        seen[m.key()] = m.value()
    for k, v in latest.items():
        if v is None:
            assert seen.get(k) is None, "deleted key %r came back" % k
        else:
            assert seen.get(k) == v, "key %r: %r, want %r" % (k, seen.get(k), v)
    # the offsets of kept records are the ones they were produced at: the
    # last round's record of key k was produced at offset (ROUNDS-1)*KEYS+k
    by_key = {m.key(): m.offset() for m in msgs}
    for k in range(DELETED, KEYS):
        assert by_key[b"k%d" % k] == (ROUNDS - 1) * KEYS + k


@pytest.mark.slow
@pytest.mark.timeout_s(600)
@pytest.mark.overrides(**{"offsets.topic.num.partitions": 1, "offsets.topic.segment.bytes": 65536,
                          "log.cleaner.backoff.ms": 500})
def test_consumer_offsets_replay_stays_bounded(broker, topic_name):
    """200k commits of the same 4 partitions: after cleaning, a restart
    replays a small fraction of the batches and OffsetFetch is right."""
    from confluent_kafka import TopicPartition
    tmhelp.ck_create_topic(broker, topic_name, 4)
    group = "g-compact-" + topic_name
    c = tmhelp.ck_consumer(broker, group=group)
    total = 200000
    requests = total // 4
    try:
        for i in range(requests):
            offs = [TopicPartition(topic_name, p, i + p) for p in range(4)]
            if i % 500 == 499 or i == requests - 1:
                c.commit(offsets=offs, asynchronous=False)
            else:
                c.commit(offsets=offs, asynchronous=True)
    finally:
        c.close()
    want = {p: requests - 1 + p for p in range(4)}
    assert gh.committed(broker, group, topic_name, range(4)) == want

    # every closed segment of __consumer_offsets-0 gets cleaned
    tmhelp.wait_until(lambda: _cleaned_upto(broker, "__consumer_offsets-0") > total * 0.9, 180,
                      "the cleaner to compact __consumer_offsets-0")
    broker.restart(timeout=60)
    lines = re.findall(r"replayed __consumer_offsets in \d+ ms: (\d+) batches", _stderr(broker))
    assert lines, "no replay line in the broker log"
    batches = int(lines[-1])
    assert batches < requests // 10, "replay read %d batches for %d commit requests" % (batches, requests)
    assert gh.committed(broker, group, topic_name, range(4)) == want
