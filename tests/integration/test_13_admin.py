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


# ------------------------------------------------- every Kafka topic config

# Kafka topic configs beyond the ones tidemark acts on: accepted, stored as
# overrides, described back and kept across a restart (compat sweep finding 2).
KAFKA_TOPIC_CONFIGS = {
    "compression.type": "zstd",
    "min.insync.replicas": "2",
    "unclean.leader.election.enable": "true",
    "max.compaction.lag.ms": "86400000",
    "message.timestamp.difference.max.ms": "60000",
    "message.timestamp.before.max.ms": "70000",
    "message.timestamp.after.max.ms": "80000",
    "flush.messages": "10000",
    "flush.ms": "1000",
    "file.delete.delay.ms": "30000",
    "preallocate": "true",
    "min.cleanable.dirty.ratio": "0.25",
    "message.downconversion.enable": "false",
    "local.retention.ms": "3600000",
    "local.retention.bytes": "1000000",
    "remote.storage.enable": "false",
    "segment.index.bytes": "1048576",
    "segment.jitter.ms": "100",
    "message.format.version": "3.0-IV1",
    "leader.replication.throttled.replicas": "*",
    "follower.replication.throttled.replicas": "0:0",
    "index.interval.bytes": "8192",
    "compression.gzip.level": "5",
}
SRC_DYNAMIC_TOPIC = 1


def _describe(admin, topic):
    res = ConfigResource("topic", topic)
    return admin.describe_configs([res], request_timeout=20)[res].result(20)


def _check_configs(cfg, want):
    for k, v in want.items():
        assert k in cfg, "%s missing from DescribeConfigs" % k
        assert cfg[k].value == v, (k, cfg[k].value, v)
        assert int(getattr(cfg[k].source, "value", cfg[k].source)) == SRC_DYNAMIC_TOPIC, (k, cfg[k])


def test_ck_all_kafka_topic_configs(broker, topic_name):
    a = tmhelp.ck_admin(broker)
    fs = a.create_topics([NewTopic(topic_name, num_partitions=1, replication_factor=1,
                                   config=KAFKA_TOPIC_CONFIGS)], request_timeout=20)
    assert fs[topic_name].result(20) is None
    cfg = _describe(a, topic_name)
    _check_configs(cfg, KAFKA_TOPIC_CONFIGS)
    # every key Kafka knows is listed, with its default when not set
    assert len(cfg) >= 36, sorted(cfg)
    assert cfg["compression.zstd.level"].value == "3" and cfg["compression.zstd.level"].is_default
    assert cfg["retention.ms"].value == "604800000"

    tmhelp.restart(broker)
    a = tmhelp.ck_admin(broker)
    _check_configs(_describe(a, topic_name), KAFKA_TOPIC_CONFIGS)

    # AlterConfigs replaces the whole set: change one, keep the others
    new = dict(KAFKA_TOPIC_CONFIGS, **{"min.insync.replicas": "1", "compression.type": "lz4"})
    res = ConfigResource("topic", topic_name, set_config=new)
    assert a.alter_configs([res], request_timeout=20)[res].result(20) is None
    _check_configs(_describe(a, topic_name), new)

    # the data path does not care: records go in and come back as produced
    acks = tmhelp.ck_produce(broker, topic_name, [{"value": b"v%d" % i} for i in range(3)],
                             extra={"compression.type": "gzip"})
    assert [o for _, o in acks] == [0, 1, 2]
    got = tmhelp.ck_read_partitions(broker, topic_name, [0], 3)
    assert [m.value() for m in got] == [b"v0", b"v1", b"v2"]


@pytest.mark.parametrize("config, named", [
    ({"no.such.config": "1"}, "Unknown topic config name: no.such.config"),
    ({"min.insync.replicas": "0"}, "min.insync.replicas"),
    ({"compression.type": "brotli"}, "compression.type"),
    ({"unclean.leader.election.enable": "maybe"}, "unclean.leader.election.enable"),
    ({"min.cleanable.dirty.ratio": "1.5"}, "min.cleanable.dirty.ratio"),
    ({"remote.storage.enable": "true"}, "Tiered Storage"),
])
def test_ck_bad_topic_config_named(broker, topic_name, config, named):
    a = tmhelp.ck_admin(broker)
    fs = a.create_topics([NewTopic(topic_name, num_partitions=1, replication_factor=1, config=config)],
                         request_timeout=20)
    with pytest.raises(KafkaException) as ei:
        fs[topic_name].result(20)
    err = ei.value.args[0]
    assert err.code() == KafkaError.INVALID_CONFIG, err
    assert named in err.str(), err
    assert topic_name not in _topics(a)


def test_ck_alter_unknown_config_named(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name)
    a = tmhelp.ck_admin(broker)
    res = ConfigResource("topic", topic_name, set_config={"bogus.key": "1"})
    with pytest.raises(KafkaException) as ei:
        a.alter_configs([res], request_timeout=20)[res].result(20)
    assert ei.value.args[0].code() == KafkaError.INVALID_CONFIG
    assert "Unknown topic config name: bogus.key" in ei.value.args[0].str()


def test_kp_all_kafka_topic_configs(broker, topic_name):
    from kafka.admin import ConfigResource as KConfigResource, ConfigResourceType, NewTopic as KNewTopic
    a = tmhelp.kp_admin(broker)
    try:
        r = a.create_topics([KNewTopic(topic_name, num_partitions=1, replication_factor=1,
                                       topic_configs=KAFKA_TOPIC_CONFIGS)], timeout_ms=15000)
        assert [t[1] for t in r.topic_errors] == [0], r.topic_errors
        from kafka.errors import InvalidConfigurationError
        with pytest.raises(InvalidConfigurationError) as ei:
            a.create_topics([KNewTopic(topic_name + "-bad", num_partitions=1, replication_factor=1,
                                       topic_configs={"foo": "1"})], timeout_ms=15000)
        assert "error_message='Unknown topic config name: foo'" in str(ei.value), ei.value
        resp = a.describe_configs([KConfigResource(ConfigResourceType.TOPIC, topic_name)])
        entries = {e[0]: e[1] for e in resp[0].resources[0][4]}
        for k, v in KAFKA_TOPIC_CONFIGS.items():
            assert entries.get(k) == v, (k, entries.get(k), v)
    finally:
        a.close()


def test_incremental_append_keeps_order(broker, topic_name):
    from flexwire import incremental_alter
    tmhelp.ck_create_topic(broker, topic_name)
    out = incremental_alter(broker, [(2, topic_name, [("cleanup.policy", 2, "compact"),
                                                      ("min.insync.replicas", 0, "1")])])
    assert [o[0] for o in out] == [0], out
    cfg = _describe(tmhelp.ck_admin(broker), topic_name)
    assert cfg["cleanup.policy"].value == "delete,compact"  # old list first, as Kafka
    assert cfg["min.insync.replicas"].value == "1"
    out = incremental_alter(broker, [(2, topic_name, [("foo", 0, "1")])])
    assert out[0][0] == 40 and out[0][1] == "Unknown topic config name: foo", out


def test_broker_describe_lists_replication_settings(broker):
    a = tmhelp.ck_admin(broker)
    res = ConfigResource("broker", "0")
    cfg = a.describe_configs([res], request_timeout=20)[res].result(20)
    assert cfg["default.replication.factor"].value == "1"
    assert cfg["min.insync.replicas"].value == "1"
    assert cfg["broker.id"].value == "0"
    assert cfg["log.cleaner.enable"].value == "true"
    # as in Kafka: the dynamic ones are not read-only, the static ones are
    assert not cfg["log.retention.ms"].is_read_only
    assert cfg["log.dirs"].is_read_only


# ------------------------------------------- duplicate names in one request

def test_ck_create_partitions_duplicate_name(broker, topic_name):
    a = tmhelp.ck_admin(broker)
    t1, t2 = topic_name + "-1", topic_name + "-2"
    for t in (t1, t2):
        tmhelp.ck_create_topic(broker, t)
    fs = a.create_partitions([NewPartitions(t1, 3), NewPartitions(t2, 4), NewPartitions(t1, 3)],
                             request_timeout=20)
    assert fs[t2].result(20) is None
    with pytest.raises(KafkaException) as ei:
        fs[t1].result(20)
    assert ei.value.args[0].code() == KafkaError.INVALID_REQUEST, ei.value
    tmhelp.wait_until(lambda: len(_topics(a)[t2].partitions) == 4, 20, "t2 grown")
    assert len(_topics(a)[t1].partitions) == 1


def _results(r, with_message):
    """[(name, error[, message])] of a CreateTopics v1 / DeleteTopics v0 /
    CreatePartitions v0 response, read from tmhelp.Reader r."""
    out = []
    for _ in range(r.i32()):
        row = (r.str(), r.i16())
        out.append(row + (r.str(),) if with_message else row)
    return out


def test_raw_duplicate_names_one_result(broker, topic_name):
    from tmhelp import i8, i16, i32, karray, kstr
    a, b, c = (topic_name + "-" + x for x in "abc")

    def new_topic(name):
        return kstr(name) + i32(1) + i16(1) + karray([]) + karray([])

    with tmhelp.Wire(broker.port) as w:
        # CreateTopics v1: a, b, a, c -> one INVALID_REQUEST for a; b, c created
        body = karray([new_topic(n) for n in (a, b, a, c)]) + i32(10000) + i8(0)
        res = _results(tmhelp.Reader(w.request(19, 1, body)), True)
        assert sorted(res) == [(a, 42, "Duplicate topic name."), (b, 0, None), (c, 0, None)], res
        # CreatePartitions v0: c, b, c -> one INVALID_REQUEST for c; b grows
        body = karray([kstr(n) + i32(2) + i32(-1) for n in (c, b, c)]) + i32(10000) + i8(0)
        r = tmhelp.Reader(w.request(37, 0, body))
        r.i32()  # throttle time
        res = _results(r, True)
        assert sorted(res) == [(b, 0, None), (c, 42, "Duplicate topic name.")], res
        # DeleteTopics v0: c, b, c -> one INVALID_REQUEST for c (kept); b deleted
        body = karray([kstr(n) for n in (c, b, c)]) + i32(10000)
        res = _results(tmhelp.Reader(w.request(20, 0, body)), False)
        assert sorted(res) == [(b, 0), (c, 42)], res
    topics = _topics(tmhelp.ck_admin(broker))
    assert a not in topics and b not in topics and len(topics[c].partitions) == 1
