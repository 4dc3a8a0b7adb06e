# test_14_restart.py: a clean restart (SIGTERM, exit 0, start again on the
# same data dir) keeps every acknowledged record at its offset, and producing
# continues at the right next offset.
import pytest

import tmhelp

N = 300


@pytest.mark.timeout_s(180)
def test_restart_keeps_records_and_offsets(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 2, config={"segment.bytes": "16384"})
    recs = [{"key": b"k%d" % i, "value": b"value-%d-" % i + b"x" * 100, "partition": i % 2} for i in range(N)]
    # small batches (a batch larger than segment.bytes is refused, as in Kafka)
    acks = tmhelp.ck_produce(broker, topic_name, recs, extra={"batch.size": 4096})
    before = {(p, o): recs[i]["value"] for i, (p, o) in enumerate(acks)}
    assert sorted(o for p, o in acks if p == 0) == list(range(N // 2))

    broker.restart()

    msgs = tmhelp.ck_read_partitions(broker, topic_name, [0, 1], N)
    after = {(m.partition(), m.offset()): m.value() for m in msgs}
    assert after == before, "records differ after restart: missing %s, changed %s" % (
        sorted(set(before) - set(after))[:5],
        [k for k in before if k in after and after[k] != before[k]][:5])

    acks2 = tmhelp.ck_produce(broker, topic_name, [{"value": b"after-0", "partition": 0},
                                                   {"value": b"after-1", "partition": 1}])
    assert acks2 == [(0, N // 2), (1, N // 2)], "next offsets after restart: %s" % acks2

    # and a second restart right away (nothing produced in between) is fine too
    broker.restart()
    c = tmhelp.ck_consumer(broker)
    try:
        from confluent_kafka import TopicPartition
        for p in (0, 1):
            assert c.get_watermark_offsets(TopicPartition(topic_name, p), timeout=10) == (0, N // 2 + 1)
    finally:
        c.close()


def test_restart_keeps_topics_and_configs(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 3, config={"retention.ms": "123456789"})
    broker.restart()
    a = tmhelp.ck_admin(broker)
    t = a.list_topics(timeout=10).topics.get(topic_name)
    assert t is not None and sorted(t.partitions) == [0, 1, 2]
    from confluent_kafka.admin import ConfigResource
    res = ConfigResource("topic", topic_name)
    cfg = a.describe_configs([res], request_timeout=20)[res].result(20)
    assert cfg["retention.ms"].value == "123456789"
