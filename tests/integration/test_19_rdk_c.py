# test_19_rdk_c.py: the librdkafka C program c/rdk_roundtrip.c: 1000 messages
# with acks=all to a 3-partition topic, consumed in a group, count and
# per-partition offset order checked (see the program's header comment).
import pytest

import tmhelp


@pytest.mark.timeout_s(180)
def test_rdk_roundtrip(broker, topic_name, ctools):
    tmhelp.ck_create_topic(broker, topic_name, 3)
    p = tmhelp.run([ctools["rdk_roundtrip"], broker.bootstrap, topic_name, "g-" + topic_name, "1000"],
                   timeout=150, check=False)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0 and "rdk_roundtrip: OK" in out, "rdk_roundtrip exit %d\n%s\n%s" % (
        p.returncode, out[-4000:], p.stderr.decode(errors="replace")[-4000:])
