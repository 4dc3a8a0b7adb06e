# test_43_group_admin.py (issue 3, scenario 14): DescribeGroups, ListGroups,
# DeleteGroups (NON_EMPTY_GROUP while members are active) and OffsetDelete
# (GROUP_SUBSCRIBED_TO_TOPIC while consuming the topic) through the admin
# clients: confluent-kafka AdminClient.list_groups, kafka-python
# KafkaAdminClient and librdkafka's Admin API (c/rdk_admin.c).
import pytest
from confluent_kafka import TopicPartition

import grouphelp as gh
import tmhelp

NON_EMPTY_GROUP = 68
GROUP_ID_NOT_FOUND = 69
GROUP_SUBSCRIBED_TO_TOPIC = 86


@pytest.mark.timeout_s(180)
def test_group_admin(broker, topic_name, ctools):
    t1, t2 = topic_name, topic_name + "-other"
    tmhelp.ck_create_topic(broker, t1, 2)
    tmhelp.ck_create_topic(broker, t2, 1)
    gh.produce_n(broker, t1, 5, partition=0)
    group = "g-" + topic_name
    c = tmhelp.ck_consumer(broker, group=group, extra={"client.id": "member-one"})
    try:
        c.subscribe([t1])
        tmhelp.ck_poll_n(c, 5)
        c.commit(asynchronous=False)
        c.commit(offsets=[TopicPartition(t2, 0, 0)], asynchronous=False)  # a topic it does not subscribe to

        # ListGroups + DescribeGroups (confluent)
        a = tmhelp.ck_admin(broker)
        groups = {g.id: g for g in a.list_groups(timeout=10)}
        assert group in groups, "list_groups: %s" % sorted(groups)
        g = a.list_groups(group=group, timeout=10)[0]
        assert (g.state, g.protocol_type, g.protocol) == ("Stable", "consumer", "range"), (
            g.state, g.protocol_type, g.protocol)
        assert len(g.members) == 1 and g.members[0].client_id == "member-one"
        assert g.members[0].assignment, "member assignment bytes missing from DescribeGroups"

        # kafka-python
        ka = tmhelp.kp_admin(broker)
        try:
            listed = dict((gid, ptype) for gid, ptype in ka.list_consumer_groups())
            assert listed.get(group) == "consumer", listed
            d = ka.describe_consumer_groups([group])[0]
            assert (d.group, d.state, d.protocol_type) == (group, "Stable", "consumer"), d
            assert len(d.members) == 1
            r = ka.delete_consumer_groups([group])
            assert [(gid, getattr(err, "errno", err)) for gid, err in r] == [(group, NON_EMPTY_GROUP)], r
        finally:
            ka.close()

        # librdkafka Admin API
        lines = gh.rdk_admin(ctools, broker, "describe-group", group)
        assert lines[0].startswith("group %s state=Stable members=1 error=0" % group), lines
        lines = gh.rdk_admin(ctools, broker, "list-groups")
        assert any(l.startswith("group %s Stable" % group) for l in lines), lines
        lines = gh.rdk_admin(ctools, broker, "delete-group", group)
        assert lines == ["deleted %s error=%d NON_EMPTY_GROUP" % (group, NON_EMPTY_GROUP)], lines

        # OffsetDelete: refused for the subscribed topic, allowed for the other one
        lines = gh.rdk_admin(ctools, broker, "delete-offsets", group, t1, "0")
        assert "partition %s 0 error=%d GROUP_SUBSCRIBED_TO_TOPIC" % (t1, GROUP_SUBSCRIBED_TO_TOPIC) in lines, lines
        lines = gh.rdk_admin(ctools, broker, "delete-offsets", group, t2, "0")
        assert "partition %s 0 error=0 NO_ERROR" % t2 in lines, lines
        assert gh.committed(broker, group, t2, [0]) == {0: None}
        assert gh.committed(broker, group, t1, [0]) == {0: 5}
    finally:
        c.close()

    # Empty now: OffsetDelete and DeleteGroups succeed
    lines = gh.rdk_admin(ctools, broker, "describe-group", group)
    assert lines[0].startswith("group %s state=Empty members=0" % group), lines
    lines = gh.rdk_admin(ctools, broker, "delete-offsets", group, t1, "1")
    assert "partition %s 1 error=0 NO_ERROR" % t1 in lines, lines
    lines = gh.rdk_admin(ctools, broker, "delete-group", group)
    assert lines == ["deleted %s error=0 NO_ERROR" % group], lines
    assert gh.committed(broker, group, t1, [0]) == {0: None}, "offsets must go with the deleted group"
    lines = gh.rdk_admin(ctools, broker, "list-groups")
    assert not any(l.startswith("group %s " % group) for l in lines), lines
    lines = gh.rdk_admin(ctools, broker, "delete-group", group)
    assert lines == ["deleted %s error=%d GROUP_ID_NOT_FOUND" % (group, GROUP_ID_NOT_FOUND)], lines


@pytest.mark.timeout_s(120)
def test_deleted_topic_takes_its_offsets(broker, topic_name):
    """Deleting a topic drops every group's committed offsets for it (Kafka's
    onPartitionsDeleted), so a topic created again under the same name starts
    from auto.offset.reset, not from a stale offset; a group left Empty with
    no offsets goes away; all of it survives a restart."""
    t, keep = topic_name, topic_name + "-keep"
    tmhelp.ck_create_topic(broker, t, 2)
    tmhelp.ck_create_topic(broker, keep, 1)
    g_only, g_both = "only-" + topic_name, "both-" + topic_name
    for g, offs in ((g_only, [TopicPartition(t, 0, 3), TopicPartition(t, 1, 4)]),
                    (g_both, [TopicPartition(t, 0, 7), TopicPartition(keep, 0, 2)])):
        c = tmhelp.ck_consumer(broker, group=g)
        try:
            c.commit(offsets=offs, asynchronous=False)
        finally:
            c.close()
    assert gh.committed(broker, g_only, t, [0, 1]) == {0: 3, 1: 4}

    a = tmhelp.ck_admin(broker)
    a.delete_topics([t], operation_timeout=10)[t].result(20)
    assert gh.committed(broker, g_both, t, [0]) == {0: None}
    assert gh.committed(broker, g_both, keep, [0]) == {0: 2}
    tmhelp.wait_until(lambda: g_only not in {x.id for x in a.list_groups(timeout=10)}, 10,
                      "group with only the deleted topic's offsets removed")

    tmhelp.ck_create_topic(broker, t, 2)
    assert gh.committed(broker, g_both, t, [0]) == {0: None}
    tmhelp.restart(broker)
    assert gh.committed(broker, g_both, t, [0, 1]) == {0: None, 1: None}
    assert gh.committed(broker, g_both, keep, [0]) == {0: 2}
    assert gh.committed(broker, g_only, t, [0, 1]) == {0: None, 1: None}
