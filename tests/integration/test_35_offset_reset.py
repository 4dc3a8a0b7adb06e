# test_35_offset_reset.py (issue 3, scenario 6): auto.offset.reset earliest,
# latest and none/error for a group without committed offsets.
import pytest
from confluent_kafka import KafkaError

import grouphelp as gh
import tmhelp


def test_reset_earliest(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 5)
    assert gh.first_msg_offset(broker, "g-e-" + topic_name, topic_name,
                               extra={"auto.offset.reset": "earliest"}) == 0


def test_reset_latest(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 5)
    stats = tmhelp.FetchStats()
    extra = {"auto.offset.reset": "latest"}
    extra.update(stats.conf())
    c = tmhelp.ck_consumer(broker, group="g-l-" + topic_name, extra=extra)
    try:
        c.subscribe([topic_name])
        # wait until the fetcher was reset to the log end, then produce
        tmhelp.wait_until(lambda: stats.fetch_pos(c, topic_name, 0) == ("active", 5), 30,
                          "fetcher reset to the log end (librdkafka stats: fetch_state active, next_offset 5)")
        gh.produce_n(broker, topic_name, 1, prefix="new")
        m = tmhelp.ck_poll_n(c, 1)[0]
        assert (m.offset(), m.value()) == (5, b"new0")
    finally:
        c.close()


def test_reset_error_ck(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 5)
    c = tmhelp.ck_consumer(broker, group="g-n-" + topic_name, extra={"auto.offset.reset": "error"})
    try:
        c.subscribe([topic_name])
        got = tmhelp.wait_until(lambda: c.poll(0.5), 30, "an error event (no committed offset, reset=error)")
        assert got.error() is not None and got.error().code() == KafkaError._AUTO_OFFSET_RESET, \
            "expected _AUTO_OFFSET_RESET, got %s" % (got.error() or ("message at offset %d" % got.offset()))
    finally:
        c.close()


@pytest.mark.timeout_s(90)
def test_reset_none_kafka_python(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 5)
    from kafka.consumer.fetcher import NoOffsetForPartitionError
    c = tmhelp.kp_consumer(broker, topic_name, group_id="g-kn-" + topic_name, auto_offset_reset="none")
    try:
        with pytest.raises(NoOffsetForPartitionError):
            tmhelp.kp_poll_n(c, 1, timeout=40)
    finally:
        c.close(autocommit=False)
