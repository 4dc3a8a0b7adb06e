# test_31_commit_sync.py (issue 3, scenario 2): a synchronous commit after each
# record: committed = last processed + 1; a restarted consumer resumes there.
import pytest
from confluent_kafka import TopicPartition

import grouphelp as gh
import tmhelp


def test_commit_sync_each_record_ck(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 10)
    group = "g-" + topic_name
    c = tmhelp.ck_consumer(broker, group=group)
    try:
        c.subscribe([topic_name])
        for want in range(3):
            m = tmhelp.ck_poll_n(c, 1)[0]
            assert m.offset() == want
            c.commit(message=m, asynchronous=False)
            got = c.committed([TopicPartition(topic_name, 0)], timeout=10)[0].offset
            assert got == want + 1, "after committing offset %d, committed() = %d" % (want, got)
    finally:
        c.close()
    assert gh.committed(broker, group, topic_name, [0]) == {0: 3}
    assert gh.first_msg_offset(broker, group, topic_name) == 3


@pytest.mark.timeout_s(150)
def test_commit_each_record_kafka_python(broker, topic_name):
    # the seed's kafka-python loop: for message in consumer: process(); consumer.commit()
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 10)
    group = "g-" + topic_name
    c = tmhelp.kp_consumer(broker, topic_name, group_id=group)
    seen = []
    try:
        for message in c:
            seen.append(message.offset)
            c.commit()
            if len(seen) == 3:
                break
    finally:
        c.close(autocommit=False)
    assert seen == [0, 1, 2]
    assert gh.committed(broker, group, topic_name, [0]) == {0: 3}
    c = tmhelp.kp_consumer(broker, topic_name, group_id=group)
    try:
        first = next(iter(c))
        assert first.offset == 3
    finally:
        c.close(autocommit=False)
