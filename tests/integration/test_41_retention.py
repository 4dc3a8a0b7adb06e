# test_41_retention.py (issue 3, scenario 12): with offsets.retention.minutes=1
# an Empty group's offsets expire and its next consumer falls back to
# auto.offset.reset; a group with a live member keeps its offsets.
import pytest

import grouphelp as gh
import tmhelp

BROKER_OVERRIDES = {"offsets.retention.minutes": 1, "offsets.retention.check.interval.ms": 1000}


@pytest.mark.slow
@pytest.mark.timeout_s(240)
@pytest.mark.overrides(**BROKER_OVERRIDES)
def test_offsets_expire_for_empty_group_only(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 10)
    empty_group, live_group = "g-empty-" + topic_name, "g-live-" + topic_name
    c = tmhelp.ck_consumer(broker, group=empty_group)
    try:
        c.subscribe([topic_name])
        tmhelp.ck_poll_n(c, 5)
        from confluent_kafka import TopicPartition
        c.commit(offsets=[TopicPartition(topic_name, 0, 5)], asynchronous=False)
    finally:
        c.close()  # the group is Empty from now on
    live = gh.Worker(broker, topic_name, live_group, budget=3, commit="each")
    try:
        live.wait_for(lambda l: l == "COMMITTED 0 3", 40, "live group committed 3")
        assert gh.committed(broker, empty_group, topic_name, [0]) == {0: 5}
        tmhelp.wait_until(lambda: gh.committed(broker, empty_group, topic_name, [0]) == {0: None}, 120,
                          "offsets of the Empty group to expire (retention 1 min, check every 1 s)")
        assert gh.committed(broker, live_group, topic_name, [0]) == {0: 3}, \
            "offsets of a group with a live member subscribed to the topic must not expire"
    finally:
        live.kill9()
    # the empty group's next consumer falls back to auto.offset.reset
    assert gh.first_msg_offset(broker, empty_group, topic_name, extra={"auto.offset.reset": "earliest"}) == 0
