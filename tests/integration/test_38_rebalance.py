# test_38_rebalance.py (issue 3, scenario 9): 4 partitions, 2 consumers get 2
# each; one is killed with kill -9; after its session timeout (6 s) the
# survivor owns all 4 and continues from the committed offsets. Run with the
# eager range assignor and with cooperative-sticky (incremental rebalances,
# done client-side over the classic protocol).
import pytest

import grouphelp as gh
import tmhelp

PARTS = [0, 1, 2, 3]


@pytest.mark.timeout_s(180)
@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_rebalance_two_consumers_then_one(broker, topic_name, strategy):
    conf = {"partition.assignment.strategy": strategy}
    tmhelp.ck_create_topic(broker, topic_name, 4)
    for p in PARTS:
        gh.produce_n(broker, topic_name, 10, partition=p, prefix="a%d-" % p)
    group = "g-" + topic_name
    w1 = gh.Worker(broker, topic_name, group, commit="each", conf=conf)
    w2 = None
    try:
        w1.wait_for(lambda l: l.startswith("ASSIGNED ") and len(gh.parse_tps(l[9:])) == 4, 40,
                    "worker 1 assigned all 4 partitions")
        w2 = gh.Worker(broker, topic_name, group, commit="each", conf=conf)

        def split_ok():
            a1, a2 = w1.assignments(), w2.assignments()
            return a1 and a2 and len(a1[-1]) == 2 and len(a2[-1]) == 2 and sorted(a1[-1] + a2[-1]) == [
                (topic_name, p) for p in PARTS]
        tmhelp.wait_until(split_ok, 40, "2 + 2 partition split between the consumers")
        # everything consumed and committed by the two of them
        tmhelp.wait_until(lambda: gh.committed(broker, group, topic_name, PARTS) == {p: 10 for p in PARTS},
                          40, "all 40 records committed")
        w2_parts = [p for _, p in w2.assignments()[-1]]
        w1._drain(0)
        n1 = len(w1.lines)
        w2.kill9()
        for p in PARTS:
            gh.produce_n(broker, topic_name, 5, partition=p, prefix="b%d-" % p, start=10)
        w1.wait_for(lambda l: l.startswith("ASSIGNED ") and len(gh.parse_tps(l[9:])) == 4, 45,
                    "survivor assigned all 4 partitions", since=n1)
        tmhelp.wait_until(lambda: gh.committed(broker, group, topic_name, PARTS) == {p: 15 for p in PARTS},
                          40, "survivor consumed and committed the new records")
        n_before = len([x for x in w1.lines[:n1] if x.startswith("MSG ")])
        after = [(p, o) for (p, o, _v) in w1.msgs()[n_before:]]
        for p in w2_parts:
            offs = [o for (pp, o) in after if pp == p]
            assert offs and min(offs) == 10, \
                "partition %d taken over from the killed consumer: survivor read offsets %s (expected 10..14)" % (
                    p, offs)
    finally:
        w1.kill9()
        if w2:
            w2.kill9()
