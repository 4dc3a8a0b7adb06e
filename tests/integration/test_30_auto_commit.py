# test_30_auto_commit.py (issue 3, scenario 1): auto commit moves the committed
# offset after the interval; a consumer that dies before the next auto commit
# is re-read from the last commit by its successor.
import time

import pytest

import grouphelp as gh
import tmhelp

INTERVAL_MS = 5000


@pytest.mark.timeout_s(150)
def test_auto_commit_and_reread_after_crash(broker, topic_name):
    tmhelp.ck_create_topic(broker, topic_name, 1)
    gh.produce_n(broker, topic_name, 20)
    group = "g-" + topic_name
    w = gh.Worker(broker, topic_name, group, budget=5,
                  conf={"enable.auto.commit": "true", "auto.commit.interval.ms": INTERVAL_MS,
                        "max.poll.interval.ms": 10000})
    try:
        w.wait_for(lambda l: l.startswith("MSG 0 4 "), 40, "offsets 0..4 consumed")
        tmhelp.wait_until(lambda: gh.committed(broker, group, topic_name, [0])[0] == 5,
                          INTERVAL_MS / 1000 + 10, "auto commit of offset 5")
        seen_at = time.monotonic()
        w.send("more 3")
        w.wait_for(lambda l: l.startswith("MSG 0 7 "), 10, "offsets 5..7 consumed")
        w.kill9()
        elapsed = time.monotonic() - seen_at
    finally:
        w.kill9()
    assert elapsed < INTERVAL_MS / 1000 - 1, "test too slow to beat the next auto commit (%.1f s)" % elapsed
    assert gh.committed(broker, group, topic_name, [0])[0] == 5, "committed offset moved without an auto commit"
    # the successor (joins after the dead member's session times out) re-reads 5, 6, 7
    assert gh.first_msg_offset(broker, group, topic_name) == 5
