# test_11_compression.py: every compression codec from each Python client,
# consumed back by both clients; values, keys, headers and offsets compared.
import importlib

import pytest

import tmhelp

CK_CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
# kafka-python codec -> Python module it needs
KP_CODECS = {"gzip": None, "snappy": "snappy", "lz4": "lz4.frame", "zstd": "zstandard"}
N = 60


def _check(msgs, topic, tag):
    got = sorted(((m.partition(), m.offset(), m.key(), m.value(), m.headers()) for m in msgs),
                 key=lambda t: t[1])
    want = [(0, i, b"k%d" % i, (b"%s-%d-" % (tag.encode(), i)) * 20, [("codec", tag.encode())]) for i in range(N)]
    assert got == want, "%s: first differences: %s" % (
        tag, [(g, w) for g, w in zip(got, want) if g != w][:3])


@pytest.mark.parametrize("codec", CK_CODECS)
def test_ck_codec(module_broker, topic_name, codec):
    b = module_broker
    tmhelp.ck_create_topic(b, topic_name, 1)
    recs = [{"key": b"k%d" % i, "value": (b"%s-%d-" % (codec.encode(), i)) * 20, "partition": 0,
             "headers": [("codec", codec.encode())]} for i in range(N)]
    acks = tmhelp.ck_produce(b, topic_name, recs, extra={"compression.type": codec, "linger.ms": 50})
    assert [o for _, o in acks] == list(range(N))
    _check(tmhelp.ck_read_partitions(b, topic_name, [0], N), topic_name, codec)
    # kafka-python must read the same batches (it decompresses on its own).
    if codec == "none" or _kp_has(codec):
        c = tmhelp.kp_consumer(b)
        try:
            from kafka import TopicPartition as KTP
            c.assign([KTP(topic_name, 0)])
            c.seek_to_beginning()
            kmsgs = tmhelp.kp_poll_n(c, N)
        finally:
            c.close()
        assert [(m.offset, m.key, m.value) for m in kmsgs] == [
            (i, b"k%d" % i, (b"%s-%d-" % (codec.encode(), i)) * 20) for i in range(N)]


def _kp_has(codec):
    mod = KP_CODECS.get(codec)
    if mod is None:
        return True
    try:
        importlib.import_module(mod)
        return True
    except ImportError:
        return False


@pytest.mark.parametrize("codec", sorted(KP_CODECS))
def test_kp_codec(module_broker, topic_name, codec):
    if not _kp_has(codec):
        pytest.skip("kafka-python codec %s needs Python module %s (not installed)" % (codec, KP_CODECS[codec]))
    b = module_broker
    tmhelp.ck_create_topic(b, topic_name, 1)
    p = tmhelp.kp_producer(b, compression_type=codec, linger_ms=50)
    try:
        futs = [p.send(topic_name, key=b"k%d" % i, value=(b"%s-%d-" % (codec.encode(), i)) * 20, partition=0,
                       headers=[("codec", codec.encode())]) for i in range(N)]
        p.flush(timeout=20)
        offs = [f.get(timeout=20).offset for f in futs]
    finally:
        p.close(timeout=10)
    assert offs == list(range(N))
    _check(tmhelp.ck_read_partitions(b, topic_name, [0], N), topic_name, codec)
