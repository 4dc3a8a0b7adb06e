# test_32_commit_async.py (issue 3, scenario 3): commitAsync reports success
# through its callback; a commit by a consumer that is not (or no longer) a
# member of the active group reports the error.
import threading

import pytest
from confluent_kafka import KafkaError, TopicPartition

import grouphelp as gh
import tmhelp


def test_commit_async_callback_success(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 10)
    results = []
    c = tmhelp.ck_consumer(broker, group="g-" + topic_name,
                           extra={"on_commit": lambda err, parts: results.append((err, parts))})
    try:
        c.subscribe([topic_name])
        last = tmhelp.ck_poll_n(c, 5)[-1]
        c.commit(message=last, asynchronous=True)
        tmhelp.wait_until(lambda: _poll_then(c, results), 15, "commit callback")
        err, parts = results[0]
        assert err is None, "async commit failed: %s" % err
        assert [(p.topic, p.partition, p.offset) for p in parts] == [(topic_name, 0, 5)]
    finally:
        c.close()
    assert gh.committed(broker, "g-" + topic_name, topic_name, [0]) == {0: 5}


def test_commit_async_error_for_non_member(broker, topic_name):
    # The group has an active member; a consumer outside it (assign(), no
    # generation) commits into the group: the broker answers UNKNOWN_MEMBER_ID
    # (as Kafka does) and the callback reports it.
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 10)
    group = "g-" + topic_name
    member = tmhelp.ck_consumer(broker, group=group)
    results = []
    outsider = tmhelp.ck_consumer(broker, group=group,
                                  extra={"on_commit": lambda err, parts: results.append((err, parts))})
    try:
        member.subscribe([topic_name])
        tmhelp.ck_poll_n(member, 1)
        outsider.assign([TopicPartition(topic_name, 0, 0)])
        outsider.commit(offsets=[TopicPartition(topic_name, 0, 7)], asynchronous=True)
        tmhelp.wait_until(lambda: _poll_then(outsider, results), 15, "commit callback")
        err, parts = results[0]
        perr = [p.error for p in parts if p.error is not None]
        codes = {e.code() for e in ([err] if err else []) + perr}
        assert codes & {KafkaError.UNKNOWN_MEMBER_ID, KafkaError.ILLEGAL_GENERATION}, (
            "commit into an active group by a non-member: callback err=%s partitions=%s" % (err, parts))
    finally:
        outsider.close()
        member.close()
    assert gh.committed(broker, group, topic_name, [0]) != {0: 7}


@pytest.mark.timeout_s(120)
def test_commit_async_after_leaving_group_kafka_python(broker, topic_name):
    # kafka-python: once the member has left the group (poll interval exceeded
    # -> LeaveGroup), commit_async's callback gets CommitFailedError.
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 10)
    group = "g-" + topic_name
    c = tmhelp.kp_consumer(broker, topic_name, group_id=group, max_poll_interval_ms=3000,
                           session_timeout_ms=6000, max_poll_records=1)
    done = threading.Event()
    result = {}
    try:
        tmhelp.kp_poll_n(c, 1)
        c.commit()
        # stop polling: the heartbeat thread leaves the group after 3 s; the
        # broker must show the group without members
        tmhelp.wait_until(lambda: _members(broker, group) == 0, 30, "group %s to become empty" % group)

        def cb(offsets, resp):
            result["resp"] = resp
            done.set()
        from kafka import TopicPartition as KTP
        from kafka.structs import OffsetAndMetadata
        c.commit_async({KTP(topic_name, 0): OffsetAndMetadata(9, "")}, callback=cb)
        # kafka-python runs commit callbacks from poll()
        tmhelp.wait_until(lambda: done.is_set() or (c.poll(timeout_ms=100, max_records=1) and False) or done.is_set(),
                          15, "commit_async callback")
    finally:
        c.close(autocommit=False)
    assert isinstance(result["resp"], Exception), "commit after leaving the group succeeded: %r" % (result["resp"],)
    assert gh.committed(broker, group, topic_name, [0]) == {0: 1}


def _poll_then(consumer, results):
    consumer.poll(0.1)  # serves callbacks; a message it may return is not needed
    return results


def _members(b, group):
    a = tmhelp.ck_admin(b)
    gs = a.list_groups(group=group, timeout=10)
    return len(gs[0].members) if gs else 0
