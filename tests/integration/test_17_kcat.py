# test_17_kcat.py: kcat (librdkafka's command-line client) lists metadata,
# produces keyed messages and consumes them back with the right offsets.
import json

import pytest

import tmhelp

KCAT = "kcat"


def kcat(b, *args, input_bytes=None, timeout=60):
    return tmhelp.run([KCAT, "-b", b.bootstrap, "-m", "15", "-X", "socket.timeout.ms=10000"] + list(args),
                      input_bytes=input_bytes, timeout=timeout)


def test_kcat_metadata(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 2)
    plain = kcat(broker, "-L").stdout.decode()
    assert 'topic "%s" with 2 partitions' % topic_name in plain, plain
    md = json.loads(kcat(broker, "-L", "-J").stdout)
    assert [(br["id"], br["name"]) for br in md["brokers"]] == [(0, broker.bootstrap)], md["brokers"]
    topics = {t["topic"]: t for t in md["topics"]}
    assert topic_name in topics
    parts = sorted(topics[topic_name]["partitions"], key=lambda p: p["partition"])
    assert [p["partition"] for p in parts] == [0, 1]
    assert all(p["leader"] == 0 for p in parts), parts


@pytest.mark.parametrize("codec", ["none", "lz4"])
def test_kcat_produce_consume_keys(broker, topic_name, codec):
    tmhelp.ck_create_topic(broker, topic_name, 2)
    lines = b"".join(b"key%d:value %d\n" % (i, i) for i in range(10))
    kcat(broker, "-P", "-t", topic_name, "-p", "1", "-K", ":", "-X", "acks=all", "-z", codec,
         input_bytes=lines)
    out = kcat(broker, "-C", "-t", topic_name, "-p", "1", "-e", "-o", "beginning", "-J").stdout.decode()
    msgs = [json.loads(l) for l in out.splitlines() if l.strip()]
    assert [(m["partition"], m["offset"], m["key"], m["payload"]) for m in msgs] == [
        (1, i, "key%d" % i, "value %d" % i) for i in range(10)], out
    # the same records through the format string interface, all partitions
    out = kcat(broker, "-C", "-t", topic_name, "-e", "-o", "beginning", "-f", "%p|%o|%k|%s\n").stdout.decode()
    assert sorted(out.splitlines()) == sorted("1|%d|key%d|value %d" % (i, i, i) for i in range(10))
    # and a consume starting at an offset
    out = kcat(broker, "-C", "-t", topic_name, "-p", "1", "-o", "7", "-e", "-f", "%o:%s\n").stdout.decode()
    assert out.splitlines() == ["7:value 7", "8:value 8", "9:value 9"]


def test_kcat_consumes_python_produced(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    tmhelp.ck_produce(broker, topic_name, [{"key": b"a", "value": b"1", "partition": 0,
                                            "headers": [("hk", b"hv")]}])
    out = kcat(broker, "-C", "-t", topic_name, "-e", "-o", "beginning", "-J").stdout.decode()
    m = json.loads(out.splitlines()[0])
    assert (m["offset"], m["key"], m["payload"]) == (0, "a", "1")
    assert m.get("headers") == ["hk", "hv"], m
