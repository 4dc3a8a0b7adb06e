# test_52_crash_loop.py: three cycles of crash_loop.py (kill -9 under acks=all
# produce and commitSync consume; every acknowledged record and commit
# survives). `make crash-test` runs the long loop.
import random

import pytest

import crash_loop


@pytest.mark.timeout_s(120)
def test_crash_loop_three_cycles(tmp_path):
    seed = random.randrange(1 << 30)
    lines = []
    loop = crash_loop.CrashLoop(tmp_path / "crash", seed, log=lines.append)
    summary = loop.run(3)
    report = "seed %d\n%s\n%s" % (seed, "\n".join(lines), "\n".join(loop.problems))
    assert not loop.problems, report
    assert summary == "crash-test: 3 cycles, 0 lost records, 0 lost commits", report
    # the loop really did something: commits on both partitions, records every cycle
    assert len(loop.acked) > 0 and len(loop.commits) >= 1, report
