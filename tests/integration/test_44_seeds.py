# test_44_seeds.py: runs the seed documents' Python examples (copied as
# bounded scripts into seeds/, see seeds/README.md) against a test broker and
# checks what they print and commit.
import os
import re

import pytest
from confluent_kafka import TopicPartition

import grouphelp as gh
import tmhelp

SEEDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def run_seed(b, name, max_messages=10, deadline_s=30):
    env = dict(os.environ, TIDEMARK_BOOTSTRAP=b.bootstrap, SEED_MAX_MESSAGES=str(max_messages),
               SEED_DEADLINE_S=str(deadline_s))
    import subprocess
    p = subprocess.run([gh.PY, os.path.join(SEEDS, name)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=deadline_s + 60)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, "%s exited %d\n%s\n%s" % (name, p.returncode, out, p.stderr.decode(errors="replace"))
    assert "Consumer error" not in out, out
    return out


def offsets_printed(out):
    return [int(m) for m in re.findall(r"Offset: (\d+)", out)]


@pytest.mark.timeout_s(120)
def test_seed_auto_commit(broker):
    tmhelp.ck_create_topic(broker, "my-topic", 1)
    gh.produce_n(broker, "my-topic", 25)
    out = run_seed(broker, "seed_001_auto_commit.py", max_messages=10)
    assert offsets_printed(out) == list(range(10)), out
    assert "Received: m0" in out
    # close() commits the auto-commit offsets: the next run continues at 10
    assert gh.committed(broker, "my-group", "my-topic", [0]) == {0: 10}
    out = run_seed(broker, "seed_001_auto_commit.py", max_messages=5)
    assert offsets_printed(out) == list(range(10, 15)), out


@pytest.mark.timeout_s(120)
def test_seed_manual_commit(broker):
    tmhelp.ck_create_topic(broker, "my-topic", 1)
    gh.produce_n(broker, "my-topic", 12)
    out = run_seed(broker, "seed_001_manual_commit.py", max_messages=4)
    assert offsets_printed(out) == [0, 1, 2, 3], out
    assert gh.committed(broker, "my-group", "my-topic", [0]) == {0: 4}
    out = run_seed(broker, "seed_001_manual_commit.py", max_messages=8)
    assert offsets_printed(out) == list(range(4, 12)), out
    assert gh.committed(broker, "my-group", "my-topic", [0]) == {0: 12}


@pytest.mark.timeout_s(120)
def test_seed_offset_reset(broker):
    tmhelp.ck_create_topic(broker, "my-topic", 1)
    gh.produce_n(broker, "my-topic", 5)
    out = run_seed(broker, "seed_001_offset_reset.py", deadline_s=30)
    assert "earliest-group first offset: 0" in out, out
    assert "latest-group first offset: None" in out, out


@pytest.mark.timeout_s(120)
def test_seed_seek(broker):
    tmhelp.ck_create_topic(broker, "my-topic", 1)
    tmhelp.ck_produce(broker, "my-topic", [{"value": b"r%d" % i, "partition": 0} for i in range(2000)],
                      extra={"linger.ms": 20})
    out = run_seed(broker, "seed_001_seek.py", max_messages=10)
    got = [int(x) for x in re.findall(r"Received message at offset: (\d+)", out)]
    assert got == list(range(1500, 1510)), out
    # assign() + poll without enable.auto.commit=false: librdkafka auto-commits
    # the consumed position of the assigned partition on close
    c = gh.committed(broker, "my-seek-group", "my-topic", [0])
    assert c[0] in (None, 1510), c


@pytest.mark.timeout_s(120)
def test_seed_003_commit_loop(broker):
    tmhelp.ck_create_topic(broker, "topic", 1)
    gh.produce_n(broker, "topic", 6, prefix="message-")
    out = run_seed(broker, "seed_003_commit_loop.py", max_messages=3)
    assert re.findall(r"processed offset (\d+)", out) == ["0", "1", "2"], out
    # the seed's table: committed offset 3 after processing offset 2, and the
    # next run starts at 3
    assert gh.committed(broker, "seed-003-group", "topic", [0]) == {0: 3}
    out = run_seed(broker, "seed_003_commit_loop.py", max_messages=3)
    assert re.findall(r"processed offset (\d+)", out) == ["3", "4", "5"], out
    c = tmhelp.ck_consumer(broker, group="seed-003-group")
    try:
        assert c.committed([TopicPartition("topic", 0)], timeout=10)[0].offset == 6
    finally:
        c.close()
