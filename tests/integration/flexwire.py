# flexwire.py: raw requests for APIs the installed clients cannot send
# (python3-confluent-kafka 1.7 and kafka-python 2.0 have neither
# delete_records nor incremental_alter_configs): the flexible-version
# primitives (KIP-482 compact strings, arrays and tagged fields), a
# request sender with header v2, DeleteRecords and IncrementalAlterConfigs.
import struct

import tmhelp
from tmhelp import Reader, i8, i16, i32, i64, karray, kstr, uvarint

def cstr(s):
    """COMPACT_(NULLABLE_)STRING."""
    if s is None:
        return uvarint(0)
    b = s.encode()
    return uvarint(len(b) + 1) + b


def carray(items):
    return uvarint(len(items) + 1) + b"".join(items)


TAGS = b"\x00"  # empty tagged fields


class CReader(Reader):
    """Reader with the flexible-version primitives."""

    def uvarint(self):
        shift = v = 0
        while True:
            b = self.take(1)[0]
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7
            assert shift < 35, "varint too long"

    def cstr(self):
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1).decode()

    def carray_len(self):
        return self.uvarint() - 1

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]


def flexible_request(w, key, version, body):
    """Sends a request with header v2 (flexible) and returns the response
    body after the v1 response header (correlation id + tagged fields)."""
    w.corr += 1
    payload = i16(key) + i16(version) + i32(w.corr) + kstr("tm-test") + TAGS + body
    w.send(i32(len(payload)) + payload)
    resp = w.recv_frame()
    corr = struct.unpack(">i", resp[:4])[0]
    assert corr == w.corr
    r = CReader(resp[4:])
    r.tags()
    return r


def delete_records(b, topic, parts, version=0):
    """DeleteRecords; parts = [(partition, offset)] -> {partition: (error, low_watermark)}."""
    with tmhelp.Wire(b.port) as w:
        if version < 2:
            body = karray([kstr(topic) + karray([i32(p) + i64(o) for p, o in parts])]) + i32(10000)
            r = CReader(w.request(21, version, body))
            r.i32()  # throttle
            out = {}
            for _ in range(r.i32()):
                r.str()
                for _ in range(r.i32()):
                    p, low, err = r.i32(), r.i64(), r.i16()
                    out[p] = (err, low)
            return out
        body = carray([cstr(topic) + carray([i32(p) + i64(o) + TAGS for p, o in parts]) + TAGS]) \
            + i32(10000) + TAGS
        r = flexible_request(w, 21, version, body)
        r.i32()
        out = {}
        for _ in range(r.carray_len()):
            r.cstr()
            for _ in range(r.carray_len()):
                p, low, err = r.i32(), r.i64(), r.i16()
                r.tags()
                out[p] = (err, low)
            r.tags()
        return out


def incremental_alter(b, resources, validate_only=False, version=0):
    """IncrementalAlterConfigs; resources = [(type, name, [(config, op, value)])]
    -> [(error, message, type, name)]."""
    with tmhelp.Wire(b.port) as w:
        if version == 0:
            body = karray([i8(t) + kstr(n) + karray([kstr(c) + i8(op) + kstr(v) for c, op, v in cfgs])
                           for t, n, cfgs in resources]) + i8(1 if validate_only else 0)
            r = CReader(w.request(44, 0, body))
            r.i32()
            out = []
            for _ in range(r.i32()):
                err, msg, t, n = r.i16(), r.str(), r.i8(), r.str()
                out.append((err, msg, t, n))
            return out
        body = carray([i8(t) + cstr(n) + carray([cstr(c) + i8(op) + cstr(v) + TAGS for c, op, v in cfgs]) + TAGS
                       for t, n, cfgs in resources]) + i8(1 if validate_only else 0) + TAGS
        r = flexible_request(w, 44, version, body)
        r.i32()
        out = []
        for _ in range(r.carray_len()):
            err, msg, t, n = r.i16(), r.cstr(), r.i8(), r.cstr()
            r.tags()
            out.append((err, msg, t, n))
        return out
