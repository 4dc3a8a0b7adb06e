# test_45_static_membership.py (issue 3: static membership, KIP-345): a
# member with group.instance.id that crashes and comes back within its
# session timeout rejoins under the same identity: it gets its partition
# back, resumes at the committed offset, and the other member sees no
# rebalance at all.
import pytest

import grouphelp as gh
import tmhelp

PARTS = [0, 1]


@pytest.mark.timeout_s(150)
def test_static_member_rejoins_without_rebalance(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 2)
    for p in PARTS:
        gh.produce_n(broker, topic_name, 5, partition=p, prefix="a%d-" % p)
    group = "g-" + topic_name
    conf_a = {"group.instance.id": "static-a", "session.timeout.ms": 30000}
    conf_b = {"group.instance.id": "static-b", "session.timeout.ms": 30000}
    a = gh.Worker(broker, topic_name, group, commit="each", conf=conf_a)
    b = gh.Worker(broker, topic_name, group, commit="each", conf=conf_b)
    a2 = None
    try:
        def split_ok():
            la, lb = a.assignments(), b.assignments()
            return la and lb and len(la[-1]) == 1 and len(lb[-1]) == 1 and sorted(la[-1] + lb[-1]) == [
                (topic_name, p) for p in PARTS]
        tmhelp.wait_until(split_ok, 40, "one partition each")
        tmhelp.wait_until(lambda: gh.committed(broker, group, topic_name, PARTS) == {p: 5 for p in PARTS},
                          40, "all records committed")
        a_part = a.assignments()[-1][0][1]
        b._drain(0)
        b_events = len([x for x in b.lines if x.startswith(("ASSIGNED", "REVOKED"))])
        a.kill9()  # a static member sends no LeaveGroup: the broker keeps its slot
        gh.produce_n(broker, topic_name, 3, partition=a_part, prefix="b-", start=5)
        a2 = gh.Worker(broker, topic_name, group, commit="each", conf=conf_a)
        a2.wait_for(lambda l: l.startswith("ASSIGNED ") and gh.parse_tps(l[9:]) == [(topic_name, a_part)], 40,
                    "the restarted static member got its partition back")
        tmhelp.wait_until(lambda: gh.committed(broker, group, topic_name, [a_part]) == {a_part: 8}, 40,
                          "the restarted member consumed the new records")
        offs = [o for (p, o, _v) in a2.msgs() if p == a_part]
        assert offs and min(offs) == 5, "resumed at %s, expected the committed offset 5" % (offs,)
        b._drain(0.5)
        b_events_after = len([x for x in b.lines if x.startswith(("ASSIGNED", "REVOKED"))])
        assert b_events_after == b_events, "the other member was rebalanced: %s" % (
            [x for x in b.lines if x.startswith(("ASSIGNED", "REVOKED"))],)
    finally:
        a.kill9()
        b.kill9()
        if a2:
            a2.kill9()
