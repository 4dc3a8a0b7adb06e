# test_37_failover.py (issue 3, scenario 8): consumer 1 (a subprocess) processes
# and commits, is killed with kill -9; consumer 2 in the same group gets the
# partition once the dead member's session expires and resumes at the
# committed offset.
import time

import pytest

import grouphelp as gh
import tmhelp


@pytest.mark.timeout_s(150)
def test_failover_after_kill9(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 20)
    group = "g-" + topic_name
    w = gh.Worker(broker, topic_name, group, budget=6, commit="each")
    try:
        w.wait_for(lambda l: l == "COMMITTED 0 6", 40, "offsets 0..5 processed and committed")
    finally:
        w.kill9()
    assert gh.committed(broker, group, topic_name, [0]) == {0: 6}
    t = time.monotonic()
    c = tmhelp.ck_consumer(broker, group=group)
    try:
        c.subscribe([topic_name])
        m = tmhelp.ck_poll_n(c, 1, timeout=45, what="first message after failover")[0]
        took = time.monotonic() - t
        assert m.offset() == 6, "consumer 2 resumed at %d, expected the committed offset 6" % m.offset()
        rest = tmhelp.ck_poll_n(c, 13)
        assert [x.offset() for x in rest] == list(range(7, 20))
    finally:
        c.close()
    # the dead member is gone after its 6 s session timeout (plus a rebalance)
    assert took < 30, "failover took %.1f s (session.timeout.ms=6000)" % took
