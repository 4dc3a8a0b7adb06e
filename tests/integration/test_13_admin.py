# test_13_admin.py: topic administration through confluent-kafka's AdminClient
# (CreateTopics, Metadata, DescribeConfigs, CreatePartitions, DeleteTopics)
# and kafka-python's KafkaAdminClient.
import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import ConfigResource, NewPartitions, NewTopic

import tmhelp


def _topics(admin):
    return admin.list_topics(timeout=10).topics


def test_ck_create_describe_grow_delete(broker, topic_name):
    a = tmhelp.ck_admin(broker)
    fs = a.create_topics([NewTopic(topic_name, num_partitions=3, replication_factor=1,
                                   config={"retention.ms": "3600000", "cleanup.policy": "delete"})],
                         operation_timeout=10, request_timeout=20)
    assert fs[topic_name].result(20) is None
    t = tmhelp.wait_until(lambda: _topics(a).get(topic_name), 20, "topic in metadata")
    assert t.error is None
    assert sorted(t.partitions) == [0, 1, 2]
    for p in t.partitions.values():
        assert p.leader == 0 or p.leader >= 0, "partition %d has no leader" % p.id
        assert list(p.replicas) == [p.leader] and list(p.isrs) == [p.leader]

    res = ConfigResource("topic", topic_name)
    cfg = a.describe_configs([res], request_timeout=20)[res].result(20)
    assert cfg["retention.ms"].value == "3600000", cfg["retention.ms"]
    assert cfg["cleanup.policy"].value == "delete"
    assert "segment.bytes" in cfg, "DescribeConfigs should list defaults too: %s" % sorted(cfg)[:20]

    # creating it again fails with TOPIC_ALREADY_EXISTS
    fs = a.create_topics([NewTopic(topic_name, num_partitions=1, replication_factor=1)], request_timeout=20)
    with pytest.raises(KafkaException) as ei:
        fs[topic_name].result(20)
    assert ei.value.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS

    fs = a.create_partitions([NewPartitions(topic_name, 5)], request_timeout=20)
    assert fs[topic_name].result(20) is None
    tmhelp.wait_until(lambda: len(_topics(a)[topic_name].partitions) == 5, 20, "5 partitions in metadata")
    # the new partitions take data
    acks = tmhelp.ck_produce(broker, topic_name, [{"value": b"p4", "partition": 4}])
    assert acks == [(4, 0)]

    fs = a.delete_topics([topic_name], operation_timeout=10, request_timeout=20)
    assert fs[topic_name].result(20) is None
    tmhelp.wait_until(lambda: topic_name not in _topics(a), 20, "topic gone from metadata")


def test_ck_create_invalid(broker, topic_name):
    a = tmhelp.ck_admin(broker)
    fs = a.create_topics([NewTopic(topic_name, num_partitions=0, replication_factor=1)], request_timeout=20)
    with pytest.raises(KafkaException) as ei:
        fs[topic_name].result(20)
    assert ei.value.args[0].code() == KafkaError.INVALID_PARTITIONS, ei.value
    fs = a.delete_topics(["no-such-topic-" + topic_name], request_timeout=20)
    with pytest.raises(KafkaException) as ei:
        list(fs.values())[0].result(20)
    assert ei.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART, ei.value


def test_ck_describe_broker_config(broker):
    a = tmhelp.ck_admin(broker)
    res = ConfigResource("broker", "0")
    cfg = a.describe_configs([res], request_timeout=20)[res].result(20)
    assert "log.retention.hours" in cfg or "log.retention.ms" in cfg, sorted(cfg)[:30]


def test_kp_admin_create_list_delete(broker, topic_name):
    from kafka.admin import NewTopic as KNewTopic
    a = tmhelp.kp_admin(broker)
    try:
        r = a.create_topics([KNewTopic(topic_name, num_partitions=2, replication_factor=1,
                                       topic_configs={"retention.ms": "7200000"})], timeout_ms=15000)
        errs = [(t[0], t[1]) for t in r.topic_errors if t[1] != 0]
        assert not errs, "CreateTopics errors: %s" % (errs,)
        tmhelp.wait_until(lambda: topic_name in a.list_topics(), 20, "kafka-python list_topics")
        desc = a.describe_topics([topic_name])
        assert len(desc) == 1 and len(desc[0]["partitions"]) == 2, desc
        r = a.delete_topics([topic_name], timeout_ms=15000)
        errs = [(t[0], t[1]) for t in r.topic_error_codes if t[1] != 0]
        assert not errs, "DeleteTopics errors: %s" % (errs,)
        tmhelp.wait_until(lambda: topic_name not in a.list_topics(), 20, "topic gone (kafka-python)")
    finally:
        a.close()
