# test_20_kafkajs.py: kafkajs 2.2.4 (pinned in js/package-lock.json, installed
# from the npm registry on first use) produces, consumes in a group and
# commits against tidemark. kafkajs needs every API it uses advertised, and
# reads READ_COMMITTED by default, so this checks the LSO path too.
import json
import os
import shutil
import subprocess

import tmhelp

HERE = os.path.dirname(os.path.abspath(__file__))
JS = os.path.join(HERE, "js")


def _ensure_kafkajs():
    assert shutil.which("node") and shutil.which("npm"), "node and npm are needed (Debian: nodejs npm)"
    if not os.path.isdir(os.path.join(JS, "node_modules", "kafkajs")):
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True,
                           timeout=180)
        assert r.returncode == 0, "npm ci failed:\n%s\n%s" % (r.stdout[-3000:], r.stderr[-3000:])


def test_kafkajs_roundtrip(broker, topic_name):
    _ensure_kafkajs()
    group = "g-" + topic_name
    r = subprocess.run(["node", os.path.join(JS, "roundtrip.js"), broker.bootstrap, topic_name, group],
                       capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, "kafkajs failed:\n%s\n%s" % (r.stdout[-3000:], r.stderr[-3000:])
    out = json.loads(r.stdout.strip().splitlines()[-1])
    for s in out["sent"]:
        assert s["errorCode"] == 0, s
    got = sorted((m["p"], m["o"], m["k"], m["v"]) for m in out["got"])
    want = sorted((i % 2, i // 2, "k%d" % i, "v%d" % i) for i in range(10))
    assert got == want, got
    committed = {p["partition"]: int(p["offset"]) for t in out["committed"] for p in t["partitions"]}
    assert committed == {0: 5, 1: 5}, committed
    assert any(g["groupId"] == group and g["protocolType"] == "consumer" for g in out["groups"]["groups"]), out["groups"]
    wm = {w["partition"]: (int(w["low"]), int(w["high"])) for w in out["wm"]}
    assert wm == {0: (0, 5), 1: (0, 5)}, wm
