# test_18_cross_client.py: records produced by kcat, confluent-kafka and
# kafka-python are read by all three, at offsets 0, 1, 2 of each partition.
import json

import tmhelp


def _produce_kcat(b, topic, part, key, value):
    tmhelp.run(["kcat", "-b", b.bootstrap, "-m", "15", "-P", "-t", topic, "-p", str(part), "-K", ":",
                "-X", "acks=all"], input_bytes=b"%s:%s\n" % (key, value), timeout=60)


def _produce_ck(b, topic, part, key, value):
    acks = tmhelp.ck_produce(b, topic, [{"key": key, "value": value, "partition": part}])
    return acks[0]


def _produce_kp(b, topic, part, key, value):
    p = tmhelp.kp_producer(b)
    try:
        md = p.send(topic, key=key, value=value, partition=part).get(timeout=20)
    finally:
        p.close(timeout=10)
    return (md.partition, md.offset)


PRODUCERS = {"kcat": _produce_kcat, "confluent": _produce_ck, "kafka-python": _produce_kp}


def _read_kcat(b, topic):
    out = tmhelp.run(["kcat", "-b", b.bootstrap, "-m", "15", "-C", "-t", topic, "-e", "-o", "beginning", "-J"],
                     timeout=60).stdout.decode()
    return sorted((m["partition"], m["offset"], m["key"].encode(), m["payload"].encode())
                  for m in map(json.loads, filter(None, out.splitlines())))


def _read_ck(b, topic):
    return sorted((m.partition(), m.offset(), m.key(), m.value())
                  for m in tmhelp.ck_read_partitions(b, topic, [0, 1], 6))


def _read_kp(b, topic):
    from kafka import TopicPartition as KTP
    c = tmhelp.kp_consumer(b)
    try:
        c.assign([KTP(topic, 0), KTP(topic, 1)])
        c.seek_to_beginning()
        return sorted((m.partition, m.offset, m.key, m.value) for m in tmhelp.kp_poll_n(c, 6))
    finally:
        c.close()


def test_cross_client(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 2)
    orders = {0: ["kcat", "confluent", "kafka-python"], 1: ["kafka-python", "kcat", "confluent"]}
    want = []
    for part, order in orders.items():
        for off, who in enumerate(order):
            key, value = who.encode(), b"from-%s-p%d" % (who.encode(), part)
            PRODUCERS[who](broker, topic_name, part, key, value)
            want.append((part, off, key, value))
    want.sort()
    for name, reader in (("kcat", _read_kcat), ("confluent", _read_ck), ("kafka-python", _read_kp)):
        got = reader(broker, topic_name)
        assert got == want, "%s read %s, expected %s" % (name, got, want)
