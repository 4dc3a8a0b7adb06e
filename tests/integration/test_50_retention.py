# test_50_retention.py (issue 5): delete retention, DeleteRecords and run-time
# topic config changes.
#
#  - time retention: retention.ms set at run time through AlterConfigs
#    (confluent AdminClient.alter_configs) deletes old segments: their files
#    go from the partition directory and no descriptor of them stays open
#    (/proc/<pid>/fd); the earliest offset moves; a fetch below it gets
#    OFFSET_OUT_OF_RANGE and a consumer resets to the new start;
#  - size retention (retention.bytes at topic creation);
#  - DeleteRecords v0 and v2 (raw requests: neither python3-confluent-kafka
#    1.7 nor kafka-python 2.0 has delete_records), durable across kill -9,
#    and its errors;
#  - IncrementalAlterConfigs v0 and v1 (raw: confluent 1.7 has no
#    incremental_alter_configs): SET / DELETE / APPEND / SUBTRACT, validate
#    only, errors; DescribeConfigs shows the change with source
#    DYNAMIC_TOPIC_CONFIG.
import os
import re

import pytest

import tmhelp
from flexwire import delete_records, incremental_alter
from tmhelp import Reader, i8, i32, i64, karray, kstr

BROKER_OVERRIDES = {"log.retention.check.interval.ms": 300}

ERR_NONE = 0
ERR_OFFSET_OUT_OF_RANGE = 1
ERR_UNKNOWN_TOPIC = 3
ERR_INVALID_TOPIC = 17
ERR_INVALID_CONFIG = 40
ERR_INVALID_REQUEST = 42
ERR_POLICY_VIOLATION = 44

SRC_DYNAMIC_TOPIC_CONFIG = 1


def source(entry):
    """ConfigEntry.source as an int (confluent gives a ConfigSource enum)."""
    return int(getattr(entry.source, "value", entry.source))


def fetch_error(b, topic, partition, offset):
    """Fetch v4 of one partition at offset -> (error code, high watermark)."""
    body = (i32(-1) + i32(100) + i32(1) + i32(1 << 20) + i8(0)
            + karray([kstr(topic) + karray([i32(partition) + i64(offset) + i32(1 << 20)])]))
    with tmhelp.Wire(b.port) as w:
        r = Reader(w.request(1, 4, body))
        r.i32()
        assert r.i32() == 1
        r.str()
        assert r.i32() == 1
        p, err, hwm = r.i32(), r.i16(), r.i64()
        assert p == partition
        return err, hwm


# ---------------------------------------------------------------- helpers

def part_dir(b, topic, p=0):
    return os.path.join(b.data_dir, "%s-%d" % (topic, p))


def log_files(b, topic, p=0):
    return sorted(f for f in os.listdir(part_dir(b, topic, p)) if f.endswith(".log"))


def deleted_fds(b):
    """Descriptors of the broker that point at deleted segment files."""
    out = []
    fd_dir = "/proc/%d/fd" % b.proc.pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if "(deleted)" in target and re.search(r"\.(log|index|timeindex)", target):
            out.append(target)
    return out


def watermarks(b, topic, p=0):
    from confluent_kafka import TopicPartition
    c = tmhelp.ck_consumer(b)
    try:
        return c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
    finally:
        c.close()


def produce_values(b, topic, n, size=200, batch=1):
    """n records of `size` bytes; linger 0 and batch.num.messages=batch keep
    batches small so that tiny segments roll often."""
    recs = [{"value": b"%06d" % i + b"x" * (size - 6), "key": b"k%d" % i} for i in range(n)]
    return tmhelp.ck_produce(b, topic, recs, extra={"linger.ms": 0, "batch.num.messages": batch,
                                                   "compression.type": "none"})


def describe(b, topic):
    from confluent_kafka.admin import ConfigResource
    a = tmhelp.ck_admin(b)
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return a.describe_configs([res], request_timeout=15)[res].result(15)


def first_offset_consumed(b, topic):
    """A fresh group consumer (auto.offset.reset=earliest) reads from the start."""
    c = tmhelp.ck_consumer(b)
    try:
        c.subscribe([topic])
        return tmhelp.ck_poll_n(c, 1, timeout=30)[0].offset()
    finally:
        c.close()


# ---------------------------------------------------------------- tests

def test_time_retention_set_at_run_time(broker, topic_name):
    from confluent_kafka.admin import ConfigResource
    tmhelp.ck_create_topic(broker, topic_name, 1, config={"segment.bytes": "1024"})
    produce_values(broker, topic_name, 40)
    nsegs = len(log_files(broker, topic_name))
    assert nsegs >= 5, "expected many small segments, got %d" % nsegs
    assert watermarks(broker, topic_name) == (0, 40)

    # AlterConfigs replaces every override: segment.bytes goes with it
    a = tmhelp.ck_admin(broker)
    res = ConfigResource(ConfigResource.Type.TOPIC, topic_name,
                         set_config={"segment.bytes": "1024", "retention.ms": "1000"})
    a.alter_configs([res], request_timeout=15)[res].result(15)
    cfg = describe(broker, topic_name)
    assert cfg["retention.ms"].value == "1000"
    assert source(cfg["retention.ms"]) == SRC_DYNAMIC_TOPIC_CONFIG
    assert cfg["segment.bytes"].value == "1024"

    low = tmhelp.wait_until(lambda: watermarks(broker, topic_name)[0] or None, 20,
                            "the earliest offset to move")
    tmhelp.wait_until(lambda: len(log_files(broker, topic_name)) == 1, 20, "old segments to be deleted")
    low, high = watermarks(broker, topic_name)
    assert 0 < low < 40 and high == 40
    assert deleted_fds(broker) == [], "deleted segment files still open"
    with open(broker.stderr_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    assert re.search(r"deleted \d+ segments of '%s-0' up to offset \d+ \(retention\.ms\)" % re.escape(topic_name),
                     text), "no retention log line"

    # below the start: OFFSET_OUT_OF_RANGE; a consumer resets to the start
    assert fetch_error(broker, topic_name, 0, 0) == (ERR_OFFSET_OUT_OF_RANGE, 40)
    assert fetch_error(broker, topic_name, 0, low)[0] == ERR_NONE
    assert first_offset_consumed(broker, topic_name) == low
    from confluent_kafka import TopicPartition
    c = tmhelp.ck_consumer(broker)
    try:
        c.assign([TopicPartition(topic_name, 0, 0)])
        assert tmhelp.ck_poll_n(c, 1, timeout=30)[0].offset() == low
    finally:
        c.close()

    # a restart keeps the start
    broker.restart()
    assert watermarks(broker, topic_name) == (low, 40)


def test_bytes_retention(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1,
                           config={"segment.bytes": "1024", "retention.bytes": "3000"})
    produce_values(broker, topic_name, 60)

    def small_enough():
        sizes = [os.path.getsize(os.path.join(part_dir(broker, topic_name), f))
                 for f in log_files(broker, topic_name)]
        return sum(sizes) <= 3000 + 1024 and watermarks(broker, topic_name)[0] > 0

    tmhelp.wait_until(small_enough, 20, "size retention")
    low, high = watermarks(broker, topic_name)
    assert high == 60 and low > 0
    assert first_offset_consumed(broker, topic_name) == low
    assert deleted_fds(broker) == []
    with open(broker.stderr_path, "rb") as f:
        assert b"(retention.bytes)" in f.read()


def test_no_retention_for_compacted_or_unlimited(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1, config={"segment.bytes": "1024", "retention.bytes": "100",
                                                          "cleanup.policy": "compact"})
    other = topic_name + "-forever"
    tmhelp.ck_create_topic(broker, other, 1, config={"segment.bytes": "1024", "retention.ms": "-1"})
    produce_values(broker, topic_name, 20)
    produce_values(broker, other, 20)
    import time
    time.sleep(1.5)  # several retention passes (every 300 ms)
    assert watermarks(broker, topic_name)[0] == 0
    assert watermarks(broker, other)[0] == 0


@pytest.mark.parametrize("version", [0, 1, 2])
def test_delete_records(broker, topic_name, version):
    tmhelp.ck_create_topic(broker, topic_name, 2, config={"segment.bytes": "1024"})
    produce_values(broker, topic_name, 30, batch=1, size=100)
    highs = [watermarks(broker, topic_name, p)[1] for p in (0, 1)]
    p0 = 0 if highs[0] >= 12 else 1
    h = highs[p0]
    assert h >= 12
    nsegs = len(log_files(broker, topic_name, p0))

    out = delete_records(broker, topic_name, [(p0, 10)], version)
    assert out == {p0: (ERR_NONE, 10)}
    assert watermarks(broker, topic_name, p0) == (10, h)
    assert fetch_error(broker, topic_name, p0, 9)[0] == ERR_OFFSET_OUT_OF_RANGE
    assert len(log_files(broker, topic_name, p0)) < nsegs, "whole segments below 10 should be gone"
    assert deleted_fds(broker) == []
    # backwards: no change, answers the current start
    assert delete_records(broker, topic_name, [(p0, 5)], version) == {p0: (ERR_NONE, 10)}
    # errors
    assert delete_records(broker, topic_name, [(p0, h + 1)], version) == {p0: (ERR_OFFSET_OUT_OF_RANGE, -1)}
    assert delete_records(broker, topic_name, [(p0, -7)], version) == {p0: (ERR_OFFSET_OUT_OF_RANGE, -1)}
    assert delete_records(broker, topic_name, [(7, 1)], version) == {7: (ERR_UNKNOWN_TOPIC, -1)}
    assert delete_records(broker, topic_name + "-nope", [(0, 1)], version) == {0: (ERR_UNKNOWN_TOPIC, -1)}
    # -1: up to the high watermark; durable across kill -9
    assert delete_records(broker, topic_name, [(p0, -1)], version) == {p0: (ERR_NONE, h)}
    broker.kill9()
    broker.start()
    assert watermarks(broker, topic_name, p0) == (h, h)
    produce_values(broker, topic_name, 1)
    assert first_offset_consumed(broker, topic_name) >= 0


def test_delete_records_refused(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1, config={"cleanup.policy": "compact"})
    produce_values(broker, topic_name, 5)
    assert delete_records(broker, topic_name, [(0, 2)]) == {0: (ERR_POLICY_VIOLATION, -1)}
    # the group coordinator made __consumer_offsets at start
    assert delete_records(broker, "__consumer_offsets", [(0, 0)]) == {0: (ERR_INVALID_TOPIC, -1)}


@pytest.mark.parametrize("version", [0, 1])
def test_incremental_alter_configs(broker, topic_name, version):
    tmhelp.ck_create_topic(broker, topic_name, 1, config={"segment.bytes": "4096"})
    T = 2
    out = incremental_alter(broker, [(T, topic_name, [("retention.ms", 0, "123456"),
                                                      ("cleanup.policy", 2, "compact")])], version=version)
    assert out == [(ERR_NONE, None, T, topic_name)]
    cfg = describe(broker, topic_name)
    assert cfg["retention.ms"].value == "123456"
    assert source(cfg["retention.ms"]) == SRC_DYNAMIC_TOPIC_CONFIG
    assert set(cfg["cleanup.policy"].value.split(",")) == {"delete", "compact"}
    assert cfg["segment.bytes"].value == "4096", "incremental changes keep other overrides"

    out = incremental_alter(broker, [(T, topic_name, [("cleanup.policy", 3, "delete"),
                                                      ("retention.ms", 1, None)])], version=version)
    assert out[0][0] == ERR_NONE
    cfg = describe(broker, topic_name)
    assert cfg["cleanup.policy"].value == "compact"
    assert source(cfg["retention.ms"]) != SRC_DYNAMIC_TOPIC_CONFIG
    assert cfg["retention.ms"].value == "604800000"

    # validate only: accepted, nothing changes
    out = incremental_alter(broker, [(T, topic_name, [("retention.ms", 0, "5")])], validate_only=True,
                            version=version)
    assert out[0][0] == ERR_NONE
    assert describe(broker, topic_name)["retention.ms"].value == "604800000"

    # errors, each resource on its own
    out = incremental_alter(broker, [
        (T, topic_name, [("retention.ms", 0, "soon")]),
        (T, topic_name + "-nope", [("retention.ms", 0, "5")]),
    ], version=version)
    assert out[0][0] == ERR_INVALID_CONFIG and out[0][1]
    assert out[1][0] == ERR_UNKNOWN_TOPIC
    checks = [
        ([("no.such.config", 0, "1")], ERR_INVALID_CONFIG),
        ([("retention.ms", 2, "5")], ERR_INVALID_CONFIG),       # APPEND to a non-list
        ([("cleanup.policy", 3, "compact")], ERR_INVALID_CONFIG),  # empty policy
        ([("retention.ms", 9, "5")], ERR_INVALID_REQUEST),      # unknown operation
        ([("retention.ms", 0, None)], ERR_INVALID_REQUEST),     # null SET
        ([("retention.ms", 0, "5"), ("retention.ms", 1, None)], ERR_INVALID_REQUEST),  # twice
    ]
    for cfgs, want in checks:
        out = incremental_alter(broker, [(T, topic_name, cfgs)], version=version)
        assert out[0][0] == want, (cfgs, out)
    # a failed resource changes nothing at all
    assert describe(broker, topic_name)["cleanup.policy"].value == "compact"
    # duplicate resources; broker resources
    out = incremental_alter(broker, [(T, topic_name, []), (T, topic_name, [])], version=version)
    assert [o[0] for o in out] == [ERR_INVALID_REQUEST, ERR_INVALID_REQUEST]
    out = incremental_alter(broker, [(4, "0", [("log.retention.ms", 0, "5")])], version=version)
    assert out[0][0] == ERR_INVALID_REQUEST

    # persisted across a restart
    incremental_alter(broker, [(T, topic_name, [("retention.bytes", 0, "999999")])], version=version)
    broker.restart()
    cfg = describe(broker, topic_name)
    assert cfg["retention.bytes"].value == "999999"
    assert cfg["cleanup.policy"].value == "compact"


def test_alter_configs_errors(broker, topic_name):
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import ConfigResource
    tmhelp.ck_create_topic(broker, topic_name, 1, config={"retention.ms": "100000"})
    a = tmhelp.ck_admin(broker)
    bad = ConfigResource(ConfigResource.Type.TOPIC, topic_name, set_config={"retention.ms": "-5"})
    with pytest.raises(KafkaException) as ei:
        a.alter_configs([bad], request_timeout=15)[bad].result(15)
    assert ei.value.args[0].code() == ERR_INVALID_CONFIG
    assert describe(broker, topic_name)["retention.ms"].value == "100000"
    missing = ConfigResource(ConfigResource.Type.TOPIC, topic_name + "-nope", set_config={"retention.ms": "5"})
    with pytest.raises(KafkaException) as ei:
        a.alter_configs([missing], request_timeout=15)[missing].result(15)
    assert ei.value.args[0].code() == ERR_UNKNOWN_TOPIC
    # validate_only leaves the override alone; a real replace with no
    # configs drops it back to the default
    ok = ConfigResource(ConfigResource.Type.TOPIC, topic_name, set_config={"retention.ms": "7"})
    a.alter_configs([ok], request_timeout=15, validate_only=True)[ok].result(15)
    assert describe(broker, topic_name)["retention.ms"].value == "100000"
    empty = ConfigResource(ConfigResource.Type.TOPIC, topic_name, set_config={"retention.bytes": "-1"})
    a.alter_configs([empty], request_timeout=15)[empty].result(15)
    cfg = describe(broker, topic_name)
    assert cfg["retention.ms"].value == "604800000"
    assert source(cfg["retention.bytes"]) == SRC_DYNAMIC_TOPIC_CONFIG


# librdkafka's own DeleteRecords (rd_kafka_DeleteRecords, librdkafka >= 1.6):
# a real client's encoding and its reading of our answer. The Python
# bindings of this Debian release do not wrap it, so a small C program does.
RDK_DELETE_RECORDS_C = r"""
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    rd_kafka_topic_partition_list_t *offs;
    rd_kafka_DeleteRecords_t *dr;
    rd_kafka_event_t *ev;
    const rd_kafka_topic_partition_list_t *res;

    if (argc != 5)
        return 2;
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof(err)))
        return 2;
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        return 2;
    q = rd_kafka_queue_new(rk);
    offs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(offs, argv[2], atoi(argv[3]))->offset = atoll(argv[4]);
    dr = rd_kafka_DeleteRecords_new(offs);
    rd_kafka_DeleteRecords(rk, &dr, 1, NULL, q);
    ev = rd_kafka_queue_poll(q, 20000);
    if (!ev || rd_kafka_event_error(ev)) {
        printf("request error %s\n", ev ? rd_kafka_event_error_string(ev) : "timeout");
        return 1;
    }
    res = rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
    printf("%d %lld\n", res->elems[0].err, (long long)res->elems[0].offset);
    rd_kafka_event_destroy(ev);
    rd_kafka_DeleteRecords_destroy(dr);
    rd_kafka_topic_partition_list_destroy(offs);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return 0;
}
"""


def test_delete_records_librdkafka(broker, topic_name, tmp_path):
    src = tmp_path / "rdk_delete_records.c"
    exe = str(tmp_path / "rdk_delete_records")
    src.write_text(RDK_DELETE_RECORDS_C)
    tmhelp.run([os.environ.get("CC", "cc"), "-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-o", exe, str(src),
                "-lrdkafka"], timeout=120)
    tmhelp.ck_create_topic(broker, topic_name, 1, config={"segment.bytes": "1024"})
    produce_values(broker, topic_name, 20)
    out = tmhelp.run([exe, broker.bootstrap, topic_name, "0", "7"], timeout=60).stdout.decode().split()
    assert out == ["0", "7"]
    assert watermarks(broker, topic_name) == (7, 20)
    out = tmhelp.run([exe, broker.bootstrap, topic_name, "0", "-1"], timeout=60).stdout.decode().split()
    assert out == ["0", "20"]  # RD_KAFKA_OFFSET_END: up to the high watermark
    out = tmhelp.run([exe, broker.bootstrap, topic_name, "0", "99"], timeout=60).stdout.decode().split()
    assert out[0] == str(ERR_OFFSET_OUT_OF_RANGE)
