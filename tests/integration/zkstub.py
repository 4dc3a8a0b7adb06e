# zkstub.py: a tiny in-memory ZooKeeper stand-in, just enough for Burrow 1.2.1
# (which insists on a ZooKeeper ensemble for its own coordination: it creates
# its root path and takes a lock under it before evaluating consumers).
#
# Implements the jute wire protocol for: connect, ping, create (with the
# sequential and ephemeral flags), delete, exists, getData, getChildren,
# getChildren2, setData, close, setWatches (accepted, ignored). Watches are
# accepted but never fire (no one else changes the tree). Not a general
# ZooKeeper: single session semantics per connection, no ACL checks.
#
#   stub = ZkStub(); stub.start(); ... "127.0.0.1:%d" % stub.port ...; stub.stop()
#   /usr/bin/python3 zkstub.py PORT      (run stand-alone)
import socket
import struct
import sys
import threading
import time

OP = {"notification": 0, "create": 1, "delete": 2, "exists": 3, "getData": 4, "setData": 5, "getACL": 6,
      "setACL": 7, "getChildren": 8, "sync": 9, "ping": 11, "getChildren2": 12, "check": 13, "multi": 14,
      "create2": 15, "close": -11, "setWatches": 101}
ERR_OK, ERR_NONODE, ERR_NODEEXISTS, ERR_NOTEMPTY, ERR_UNIMPL = 0, -101, -110, -111, -6


class _R:
    def __init__(self, d):
        self.d, self.p = d, 0

    def i32(self):
        v = struct.unpack_from(">i", self.d, self.p)[0]
        self.p += 4
        return v

    def i64(self):
        v = struct.unpack_from(">q", self.d, self.p)[0]
        self.p += 8
        return v

    def boolean(self):
        v = self.d[self.p] != 0
        self.p += 1
        return v

    def buf(self):
        n = self.i32()
        if n < 0:
            return None
        v = self.d[self.p:self.p + n]
        self.p += n
        return v

    def str(self):
        b = self.buf()
        return None if b is None else b.decode()


def _buf(b):
    return struct.pack(">i", -1) if b is None else struct.pack(">i", len(b)) + b


def _str(s):
    return _buf(s.encode())


class Node:
    def __init__(self, data=b"", ephemeral_owner=0, zxid=0):
        self.data = data
        self.children = {}
        self.ephemeral_owner = ephemeral_owner
        self.czxid = self.mzxid = self.pzxid = zxid
        self.ctime = self.mtime = int(time.time() * 1000)
        self.version = 0
        self.cversion = 0
        self.seq = 0

    def stat(self):
        return struct.pack(">qqqqiiiqiiq", self.czxid, self.mzxid, self.ctime, self.mtime, self.version,
                           self.cversion, 0, self.ephemeral_owner, len(self.data), len(self.children), self.pzxid)


class ZkStub:
    def __init__(self, port=0):
        self.root = Node()
        self.lock = threading.Lock()
        self.zxid = 1
        self.next_session = 0x100
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.running = False
        self.requests = []  # (op name, path) log for debugging

    def start(self):
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        self.running = False
        try:
            self.sock.close()
        except OSError:
            pass

    # -- tree
    def _lookup(self, path):
        node = self.root
        for part in [p for p in path.split("/") if p]:
            node = node.children.get(part)
            if node is None:
                return None
        return node

    def _parent(self, path):
        parent_path, _, name = path.rstrip("/").rpartition("/")
        return self._lookup(parent_path or "/"), name

    def _create(self, path, data, flags, session):
        parent, name = self._parent(path)
        if parent is None:
            return ERR_NONODE, None
        if flags & 2:  # sequential
            name = "%s%010d" % (name, parent.cversion)
        if name in parent.children or not name:
            return ERR_NODEEXISTS, None
        self.zxid += 1
        parent.children[name] = Node(data or b"", session if flags & 1 else 0, self.zxid)
        parent.cversion += 1
        parent.pzxid = self.zxid
        prefix = path.rstrip("/").rpartition("/")[0]
        return ERR_OK, "%s/%s" % (prefix, name)

    def _drop_session(self, session):
        def walk(node):
            for k in list(node.children):
                ch = node.children[k]
                if ch.ephemeral_owner == session:
                    del node.children[k]
                    node.cversion += 1
                else:
                    walk(ch)
        with self.lock:
            walk(self.root)

    # -- network
    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _recv_packet(conn):
        hdr = b""
        while len(hdr) < 4:
            c = conn.recv(4 - len(hdr))
            if not c:
                return None
            hdr += c
        n = struct.unpack(">i", hdr)[0]
        if n < 0 or n > 16 * 1024 * 1024:
            return None
        body = b""
        while len(body) < n:
            c = conn.recv(n - len(body))
            if not c:
                return None
            body += c
        return body

    @staticmethod
    def _send(conn, payload):
        conn.sendall(struct.pack(">i", len(payload)) + payload)

    def _serve(self, conn):
        session = None
        try:
            pkt = self._recv_packet(conn)
            if pkt is None:
                return
            r = _R(pkt)
            _proto, _last_zxid, timeout, _sid = r.i32(), r.i64(), r.i32(), r.i64()
            with self.lock:
                self.next_session += 1
                session = self.next_session
            self._send(conn, struct.pack(">iiq", 0, timeout, session) + _buf(b"\0" * 16))
            while True:
                pkt = self._recv_packet(conn)
                if pkt is None:
                    return
                r = _R(pkt)
                xid, op = r.i32(), r.i32()
                err, body = self._handle(op, r, session)
                with self.lock:
                    zxid = self.zxid
                self._send(conn, struct.pack(">iqi", xid, zxid, err) + (body if err == ERR_OK else b""))
                if op == OP["close"]:
                    return
        except (OSError, struct.error):
            return
        finally:
            if session is not None:
                self._drop_session(session)
            conn.close()

    def _handle(self, op, r, session):
        with self.lock:
            if op == OP["ping"] or op == OP["close"] or op == OP["setWatches"] or op == OP["sync"]:
                return ERR_OK, (_str(r.str()) if op == OP["sync"] else b"")
            path = r.str()
            self.requests.append((op, path))
            if op in (OP["create"], OP["create2"]):
                data = r.buf()
                for _ in range(max(0, r.i32())):
                    r.i32(), r.str(), r.str()
                flags = r.i32()
                err, created = self._create(path, data, flags, session)
                if err:
                    return err, b""
                body = _str(created)
                if op == OP["create2"]:
                    body += self._lookup(created).stat()
                return ERR_OK, body
            node = self._lookup(path)
            if node is None:
                return ERR_NONODE, b""
            if op == OP["delete"]:
                if node.children:
                    return ERR_NOTEMPTY, b""
                parent, name = self._parent(path)
                del parent.children[name]
                parent.cversion += 1
                return ERR_OK, b""
            if op == OP["exists"]:
                return ERR_OK, node.stat()
            if op == OP["getData"]:
                return ERR_OK, _buf(node.data) + node.stat()
            if op == OP["setData"]:
                node.data = r.buf() or b""
                node.version += 1
                return ERR_OK, node.stat()
            if op in (OP["getChildren"], OP["getChildren2"]):
                names = sorted(node.children)
                body = struct.pack(">i", len(names)) + b"".join(_str(n) for n in names)
                if op == OP["getChildren2"]:
                    body += node.stat()
                return ERR_OK, body
            return ERR_UNIMPL, b""


if __name__ == "__main__":
    stub = ZkStub(int(sys.argv[1]) if len(sys.argv) > 1 else 2181).start()
    print("zkstub listening on 127.0.0.1:%d" % stub.port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        stub.stop()
