# test_42_burrow.py (issue 3, scenario 13): Burrow 1.2.1 (Debian package), which
# reads committed offsets straight from __consumer_offsets and the log end
# offsets from the broker, reports the right lag for a group.
#
# Burrow 1.2.1 will not start without ZooKeeper (it keeps its own root node
# and a notifier lock there), so the test runs zkstub.py, a minimal
# in-process ZooKeeper stand-in, next to it.
import json
import os
import shutil
import signal
import subprocess
import urllib.request

import pytest
from confluent_kafka import TopicPartition

import grouphelp as gh
import tmhelp
import zkstub

BURROW = shutil.which("Burrow") or shutil.which("burrow")

CONFIG = """
[general]
pidfile="{dir}/burrow.pid"
[logging]
level="info"
[zookeeper]
servers=["127.0.0.1:{zk}"]
timeout=6
root-path="/burrow"
[client-profile.tm]
client-id="burrow-tm"
kafka-version="2.0.0"
[cluster.tm]
class-name="kafka"
servers=["{bootstrap}"]
client-profile="tm"
topic-refresh=2
offset-refresh=2
[consumer.tm]
class-name="kafka"
cluster="tm"
servers=["{bootstrap}"]
client-profile="tm"
offsets-topic="__consumer_offsets"
start-latest=false
[httpserver.default]
address="127.0.0.1:{http}"
[storage.default]
class-name="inmemory"
workers=4
intervals=10
expire-group=604800
min-distance=1
"""


def _get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
        return json.loads(r.read().decode())


@pytest.mark.timeout_s(180)
@pytest.mark.skipif(BURROW is None, reason="Burrow is not installed (Debian package 'burrow')")
def test_burrow_reports_lag(broker, topic_name, tmp_path):
    tmhelp.ck_create_topic(broker, topic_name, 2)
    gh.produce_n(broker, topic_name, 15, partition=0)
    gh.produce_n(broker, topic_name, 15, partition=1)
    zk = zkstub.ZkStub().start()
    http_port = tmhelp.free_port()
    (tmp_path / "burrow.toml").write_text(CONFIG.format(dir=tmp_path, zk=zk.port, bootstrap=broker.bootstrap,
                                                        http=http_port))
    log_path = str(tmp_path / "burrow.log")
    logf = open(log_path, "wb")
    proc = subprocess.Popen([BURROW, "-config-dir", str(tmp_path)], stdout=logf, stderr=logf,
                            stdin=subprocess.DEVNULL, cwd=str(tmp_path), preexec_fn=tmhelp._pdeathsig)

    def log_tail():
        with open(log_path, "rb") as f:
            return f.read().decode(errors="replace")[-6000:]

    group = "g-burrow-" + topic_name
    try:
        def topic_known():
            assert proc.poll() is None, "Burrow exited with %s" % proc.returncode
            return _get(http_port, "/v3/kafka/tm/topic/%s" % topic_name).get("offsets") == [15, 15]
        try:
            tmhelp.wait_until(topic_known, 40, "Burrow to see topic %s with end offsets [15, 15]" % topic_name)
        except AssertionError as e:
            raise AssertionError("%s\nBurrow log:\n%s" % (e, log_tail())) from None
        # commit after Burrow knows the topic (it drops commits for unknown partitions)
        c = tmhelp.ck_consumer(broker, group=group)
        try:
            c.assign([TopicPartition(topic_name, 0), TopicPartition(topic_name, 1)])
            c.commit(offsets=[TopicPartition(topic_name, 0, 10), TopicPartition(topic_name, 1, 4)],
                     asynchronous=False)
        finally:
            c.close()

        def lag_ok():
            assert proc.poll() is None, "Burrow exited with %s" % proc.returncode
            st = _get(http_port, "/v3/kafka/tm/consumer/%s/lag" % group)["status"]
            lags = {p["partition"]: p["current_lag"] for p in st["partitions"] if p["topic"] == topic_name}
            return lags == {0: 5, 1: 11} and st["totallag"] == 16 and st
        try:
            tmhelp.wait_until(lag_ok, 60, "Burrow to report lag {0: 5, 1: 11} for group %s" % group, interval=1)
        except AssertionError as e:
            detail = ""
            try:
                detail = json.dumps(_get(http_port, "/v3/kafka/tm/consumer"))[:2000]
            except Exception as e2:  # noqa: BLE001
                detail = repr(e2)
            raise AssertionError("%s\nBurrow consumers: %s\nBurrow log:\n%s" % (e, detail, log_tail())) from None
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        logf.close()
        zk.stop()
        if os.path.exists(str(tmp_path / "burrow.pid")):
            os.unlink(str(tmp_path / "burrow.pid"))
