# test_34_async_then_sync.py (issue 3, scenario 5): commitAsync in the poll loop
# and commitSync on close: nothing lost, nothing re-read.
import grouphelp as gh
import tmhelp


def test_async_in_loop_sync_on_close(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 2)
    gh.produce_n(broker, topic_name, 40, partition=0)
    gh.produce_n(broker, topic_name, 40, partition=1)
    group = "g-" + topic_name
    errors = []
    c = tmhelp.ck_consumer(broker, group=group,
                           extra={"on_commit": lambda err, parts: err and errors.append(err)})
    seen = []
    try:
        c.subscribe([topic_name])
        while len(seen) < 80:
            for m in tmhelp.ck_poll_n(c, 1):
                seen.append((m.partition(), m.offset()))
            c.commit(asynchronous=True)
    finally:
        c.commit(asynchronous=False)
        c.close()
    assert not errors, errors
    assert sorted(seen) == sorted([(p, o) for p in (0, 1) for o in range(40)])
    assert gh.committed(broker, group, topic_name, [0, 1]) == {0: 40, 1: 40}
    gh.produce_n(broker, topic_name, 1, partition=1, prefix="late")
    c = tmhelp.ck_consumer(broker, group=group)
    try:
        c.subscribe([topic_name])
        m = tmhelp.ck_poll_n(c, 1)[0]
        assert (m.partition(), m.offset(), m.value()) == (1, 40, b"late0")
    finally:
        c.close()


def test_pipelined_async_commits_then_sync(broker, topic_name):
    # Many commitAsync calls in flight at once for one partition, then a
    # commitSync: the committed offset is the last one committed, live and
    # after a restart (commits must apply in request order).
    from confluent_kafka import TopicPartition
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 60)
    group = "g-" + topic_name
    acked = []
    c = tmhelp.ck_consumer(broker, group=group,
                           extra={"on_commit": lambda err, parts: acked.append((err, parts[0].offset))})
    try:
        c.assign([TopicPartition(topic_name, 0, 0)])
        for off in range(1, 51):
            c.commit(offsets=[TopicPartition(topic_name, 0, off)], asynchronous=True)
        c.commit(offsets=[TopicPartition(topic_name, 0, 50)], asynchronous=False)
        tmhelp.wait_until(lambda: c.poll(0.05) is None and len(acked) >= 50, 15, "50 commit callbacks")
        assert [e for e, _ in acked if e] == []
        assert [o for _, o in acked][:50] == list(range(1, 51)), "callbacks out of order: %s" % acked
        live = c.committed([TopicPartition(topic_name, 0)], timeout=10)[0].offset
    finally:
        c.close()
    assert live == 50, "committed() after commits 1..50 then a sync 50: %d" % live
    broker.restart()
    assert gh.committed(broker, group, topic_name, [0]) == {0: 50}, "after restart"
