# test_39_lag.py (issue 3, scenario 10): lag = log end offset - committed
# offset, from the admin clients' committed offsets and the watermarks.
from confluent_kafka import TopicPartition

import grouphelp as gh
import tmhelp


def test_lag_from_admin_and_watermarks(broker, topic_name, ctools):
    tmhelp.ck_create_topic(broker, topic_name, 2)
    gh.produce_n(broker, topic_name, 15, partition=0)
    gh.produce_n(broker, topic_name, 15, partition=1)
    group = "g-" + topic_name
    c = tmhelp.ck_consumer(broker, group=group)
    try:
        c.assign([TopicPartition(topic_name, 0), TopicPartition(topic_name, 1)])
        c.commit(offsets=[TopicPartition(topic_name, 0, 10), TopicPartition(topic_name, 1, 4)],
                 asynchronous=False)
        ends = {p: c.get_watermark_offsets(TopicPartition(topic_name, p), timeout=10)[1] for p in (0, 1)}
    finally:
        c.close()
    assert ends == {0: 15, 1: 15}

    a = tmhelp.kp_admin(broker)
    try:
        offs = a.list_consumer_group_offsets(group)
    finally:
        a.close()
    lag = {tp.partition: ends[tp.partition] - om.offset for tp, om in offs.items() if tp.topic == topic_name}
    assert lag == {0: 5, 1: 11}, "lag from kafka-python admin offsets: %s" % lag

    lines = gh.rdk_admin(ctools, broker, "list-offsets", group, topic_name, "0", "1")
    got = {int(l.split()[2]): int(l.split()[3]) for l in lines if l.startswith("offset ")}
    assert {p: ends[p] - o for p, o in got.items()} == {0: 5, 1: 11}, lines

    # lag moves when the group consumes: an active member commits up to the end
    c = tmhelp.ck_consumer(broker, group=group)
    try:
        c.subscribe([topic_name])
        tmhelp.ck_poll_n(c, 16)
        c.commit(asynchronous=False)
        assert gh.committed(broker, group, topic_name, [0, 1]) == {0: 15, 1: 15}
    finally:
        c.close()
