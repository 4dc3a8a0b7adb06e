# test_16_malformed.py: hostile frames over a raw socket. Each case gets the
# documented answer (an error code, or the connection closed) and the broker
# keeps serving: the last test produces and consumes with a real client on
# the same broker, and every test checks ApiVersions still works afterwards.
import socket
import struct

import pytest

import tmhelp
from tmhelp import Wire, i16, i32, kstr

MAX_REQ = 1048576
BROKER_OVERRIDES = {"socket.request.max.bytes": MAX_REQ}

UNSUPPORTED_VERSION = 35
CORRUPT_MESSAGE = 2


@pytest.fixture(autouse=True)
def still_serving(module_broker):
    yield
    assert module_broker.proc.poll() is None, "broker died:\n" + module_broker.stderr_tail()
    with Wire(module_broker.port) as w:
        err, keys = tmhelp.parse_api_versions(w.request(18, 0, b""))
        assert err == 0 and 18 in keys


def test_apiversions_v0_ranges(module_broker):
    with Wire(module_broker.port) as w:
        err, keys = tmhelp.parse_api_versions(w.request(18, 0, b""))
    assert err == 0
    # librdkafka gates features on these minimums (protocol README, pitfall 1)
    for key, name in ((0, "Produce"), (10, "FindCoordinator"), (18, "ApiVersions")):
        assert key in keys and keys[key][0] == 0, "%s must be advertised with min 0: %s" % (name, keys.get(key))
    assert keys[0][1] >= 7, "Produce max %d < 7 (zstd needs 7)" % keys[0][1]
    assert keys[1][0] <= 4 <= keys[1][1], "Fetch range %s must include 4" % (keys[1],)
    assert 3 in keys and keys[3][0] == 0, "Metadata v0 needed by kafka-python: %s" % (keys.get(3),)


def test_size_above_max_closes(module_broker):
    with Wire(module_broker.port) as w:
        w.send(i32(MAX_REQ + 1) + i16(18) + i16(0) + i32(1))
        assert w.wait_closed(), "frame size above socket.request.max.bytes: connection not closed"
    with Wire(module_broker.port) as w:
        w.send(i32(0x7FFFFFFF))
        assert w.wait_closed(), "frame size 2^31-1: connection not closed"


@pytest.mark.parametrize("size", [0, -1, -2147483648, 3])
def test_size_zero_or_negative_closes(module_broker, size):
    with Wire(module_broker.port) as w:
        w.send(i32(size) + b"\x00" * 16)
        assert w.wait_closed(), "frame size %d: connection not closed" % size


def test_truncated_header_then_close(module_broker):
    for cut in (1, 2, 5, 9):
        with Wire(module_broker.port) as w:
            full = w.frame(18, 0, b"")
            w.send(full[:4] + full[4:4 + cut])
        # client closed mid-frame; the broker must just drop the connection
    with Wire(module_broker.port) as w:
        # a header that claims a client_id longer than the frame
        payload = i16(18) + i16(0) + i32(7) + i16(500) + b"abc"
        w.send(i32(len(payload)) + payload)
        assert w.wait_closed(), "client_id length beyond the frame: connection not closed"


@pytest.mark.parametrize("api_key", [999, 32767, -1])
def test_unknown_api_key_closes(module_broker, api_key):
    with Wire(module_broker.port) as w:
        w.send(w.frame(api_key, 0, b""))
        assert w.wait_closed(), "api key %d: connection not closed" % api_key


def test_unsupported_version_of_other_api_closes(module_broker):
    with Wire(module_broker.port) as w:
        w.send(w.frame(3, 999, b""))  # Metadata v999
        assert w.wait_closed(), "Metadata v999: connection not closed"


def test_apiversions_unsupported_version(module_broker):
    with Wire(module_broker.port) as w:
        # ApiVersions v99, sent with request header v2 like a newer client would
        # (client_id then an empty tagged-field block), body: compact strings + tags
        w.corr = 41
        payload = (i16(18) + i16(99) + i32(41) + kstr("future-client") + b"\x00"
                   + b"\x05abcd" + b"\x041.0" + b"\x00")
        w.send(i32(len(payload)) + payload)
        resp = w.recv_frame()
        assert struct.unpack(">i", resp[:4])[0] == 41, "correlation id"
        err, keys = tmhelp.parse_api_versions(resp[4:])  # response header v0, body v0
        assert err == UNSUPPORTED_VERSION, "error %d, expected 35 UNSUPPORTED_VERSION" % err
        assert 18 in keys, "v0 error body must list the ApiVersions range: %s" % keys
        # the connection stays usable: a v0 request now succeeds
        err, keys = tmhelp.parse_api_versions(w.request(18, 0, b""))
        assert err == 0


def _create(b, topic):
    tmhelp.ck_create_topic(b, topic, 1)


def test_produce_v3_good_crc_control(module_broker, topic_name):
    # positive control for the hand-built batch used below
    _create(module_broker, topic_name)
    batch = tmhelp.record_batch([(b"k", b"hello")])
    with Wire(module_broker.port) as w:
        r = tmhelp.parse_produce_v3(w.request(0, 3, tmhelp.produce_v3_body(topic_name, 0, batch)))
    assert r == {(topic_name, 0): (0, 0)}, r


def test_produce_v3_bad_crc(module_broker, topic_name):
    _create(module_broker, topic_name)
    batch = tmhelp.record_batch([(b"k", b"hello"), (None, b"world")], corrupt_crc=True)
    with Wire(module_broker.port) as w:
        r = tmhelp.parse_produce_v3(w.request(0, 3, tmhelp.produce_v3_body(topic_name, 0, batch)))
        assert r[(topic_name, 0)][0] == CORRUPT_MESSAGE, "bad CRC: %s, expected CORRUPT_MESSAGE (2)" % (r,)
        # nothing was appended
    c = tmhelp.ck_consumer(module_broker)
    try:
        from confluent_kafka import TopicPartition
        assert c.get_watermark_offsets(TopicPartition(topic_name, 0), timeout=10) == (0, 0)
    finally:
        c.close()


def test_produce_v3_batch_length_lies(module_broker, topic_name):
    _create(module_broker, topic_name)
    batch = bytearray(tmhelp.record_batch([(b"k", b"v")]))
    batch[8:12] = i32(len(batch) * 4)  # batchLength beyond the records field
    with Wire(module_broker.port) as w:
        w.send(w.frame(0, 3, tmhelp.produce_v3_body(topic_name, 0, bytes(batch))))
        try:
            resp = w.recv_frame()
            r = tmhelp.parse_produce_v3(resp[4:])
            assert r[(topic_name, 0)][0] != 0, "a batch whose length lies must not be accepted: %s" % r
        except tmhelp.Closed:
            pass  # closing is an acceptable answer too


def test_huge_array_count_closes(module_broker):
    with Wire(module_broker.port) as w:
        w.send(w.frame(3, 1, i32(0x7FFFFFFF) + kstr("x")))  # Metadata v1, topics[2^31-1]
        assert w.wait_closed(), "Metadata with topics count 2^31-1: connection not closed"
    with Wire(module_broker.port) as w:
        body = kstr(None) + i16(1) + i32(1000) + i32(0x7FFFFFFF) + kstr("t")
        w.send(w.frame(0, 3, body))  # Produce v3, topics[2^31-1]
        assert w.wait_closed(), "Produce with topics count 2^31-1: connection not closed"


def test_garbage_and_slowloris(module_broker):
    with Wire(module_broker.port) as w:
        w.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # 'GET ' = size 0x47455420 > max
        assert w.wait_closed(), "HTTP request on the Kafka port: connection not closed"
    # many half-open connections do not stop service
    socks = []
    try:
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", module_broker.port), timeout=5)
            s.sendall(i32(100) + b"\x00\x03")
            socks.append(s)
        with Wire(module_broker.port) as w:
            err, _ = tmhelp.parse_api_versions(w.request(18, 0, b""))
            assert err == 0
    finally:
        for s in socks:
            s.close()


def test_zz_normal_client_still_works(module_broker, topic_name):
    b = module_broker
    tmhelp.ck_create_topic(b, topic_name, 1)
    acks = tmhelp.ck_produce(b, topic_name, [{"value": b"after-%d" % i, "partition": 0} for i in range(5)])
    assert [o for _, o in acks] == list(range(5))
    msgs = tmhelp.ck_read_partitions(b, topic_name, [0], 5)
    assert [m.value() for m in msgs] == [b"after-%d" % i for i in range(5)]


def test_produce_v2_old_message_format_answered_with_error(module_broker, topic_name):
    # Produce v0-v2 carry message formats v0/v1, which tidemark does not
    # store. They are advertised (librdkafka probes v0 for compression) and
    # answered UNSUPPORTED_VERSION (35) per partition; nothing is appended.
    _create(module_broker, topic_name)
    legacy_message_set = b"\x00" * 8 + b"\x00\x00\x00\x0e" + b"\x00" * 14  # offset, size, message v0
    body = (tmhelp.i16(1) + tmhelp.i32(10000)
            + tmhelp.karray([tmhelp.kstr(topic_name) + tmhelp.karray([tmhelp.i32(0) + tmhelp.kbytes(legacy_message_set)])]))
    with Wire(module_broker.port) as w:
        r = tmhelp.Reader(w.request(0, 2, body))
        assert r.i32() == 1
        assert r.str() == topic_name
        assert r.i32() == 1
        idx, err, base, _log_append_time = r.i32(), r.i16(), r.i64(), r.i64()
        assert (idx, err, base) == (0, 35, -1), "Produce v2: %r" % ((idx, err, base),)
        # the connection stays usable
        err2, keys = tmhelp.parse_api_versions(w.request(18, 0, b""))
        assert err2 == 0 and keys[0] == (0, 9), keys.get(0)
    c = tmhelp.ck_consumer(module_broker)
    try:
        from confluent_kafka import TopicPartition
        assert c.get_watermark_offsets(TopicPartition(topic_name, 0), timeout=10) == (0, 0)
    finally:
        c.close()
