# test_40_restart_offsets.py (issue 3, scenario 11): a broker restart keeps
# committed offsets and topic metadata; consumers resume at the commits.
import pytest

import grouphelp as gh
import tmhelp


@pytest.mark.timeout_s(150)
def test_restart_keeps_committed_offsets(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 2)
    gh.produce_n(broker, topic_name, 10, partition=0)
    gh.produce_n(broker, topic_name, 10, partition=1)
    group = "g-" + topic_name
    c = tmhelp.ck_consumer(broker, group=group)
    try:
        c.subscribe([topic_name])
        msgs = tmhelp.ck_poll_n(c, 20)
        from confluent_kafka import TopicPartition
        c.commit(offsets=[TopicPartition(topic_name, 0, 7), TopicPartition(topic_name, 1, 3)], asynchronous=False)
        assert len(msgs) == 20
    finally:
        c.close()
    broker.restart()
    assert gh.committed(broker, group, topic_name, [0, 1]) == {0: 7, 1: 3}
    c = tmhelp.ck_consumer(broker, group=group)
    try:
        c.subscribe([topic_name])
        got = tmhelp.ck_poll_n(c, 10)
        firsts = {}
        for m in got:
            firsts.setdefault(m.partition(), m.offset())
        assert firsts == {0: 7, 1: 3}, "resumed at %s after restart, expected {0: 7, 1: 3}" % firsts
    finally:
        c.close()


@pytest.mark.timeout_s(150)
def test_consumer_survives_broker_restart(broker, topic_name):
    # a live member rides through a restart: it reconnects, rejoins and keeps
    # committing; nothing committed before the restart is re-delivered
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 10)
    group = "g-" + topic_name
    w = gh.Worker(broker, topic_name, group, commit="each")
    try:
        w.wait_for(lambda l: l == "COMMITTED 0 10", 40, "first 10 records committed")
        broker.restart()
        gh.produce_n(broker, topic_name, 5, start=10)
        w.wait_for(lambda l: l == "COMMITTED 0 15", 60, "records 10..14 consumed and committed after restart")
        offs = [o for (_p, o, _v) in w.msgs()]
        assert offs == list(range(15)), "offsets seen by the member across the restart: %s" % offs
    finally:
        w.kill9()
