# fault: a broker whose data directory can be made to fail at run time.
#
# faultfs.c (next to this file) is an LD_PRELOAD shim: while a control file
# exists, write()/pwrite() and fsync()/fdatasync() on files under the
# broker's data dir fail with the errno the file names (see faultfs.c). No
# root, no mounts: a real broker process sees a full or failing disk.
#
#   shim = fault.build_shim(tmp_dir)            # cc -shared, once per session
#   b, f = fault.start_broker(base_dir, shim, overrides)
#   f.set("write=ENOSPC") ... f.clear()
#   f.restart() / f.start() instead of b.restart() / b.start() (keeps the shim)
#
# A broker built with a statically linked sanitizer runtime (clang -fsanitize)
# shadows the shim's symbols; f.require_fired() then skips the test.
import os

import pytest

import tmhelp

HERE = os.path.dirname(os.path.abspath(__file__))


def build_shim(out_dir):
    """Compiles faultfs.c into out_dir; returns the .so path."""
    so = os.path.join(str(out_dir), "faultfs.so")
    cc = os.environ.get("CC", "cc")
    tmhelp.run([cc, "-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror", "-o", so,
                os.path.join(HERE, "faultfs.c"), "-ldl"], timeout=120)
    return so


@pytest.fixture(scope="session")
def faultfs_shim(tmp_path_factory):
    return build_shim(tmp_path_factory.mktemp("faultfs"))


class Fault:
    """The fault switch of one broker (its control file and environment)."""

    def __init__(self, broker, shim):
        self.b = broker
        self.shim = shim
        self.ctl = os.path.join(broker.base_dir, "faultfs.ctl")

    def env(self):
        asan = os.environ.get("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1")
        return {"LD_PRELOAD": self.shim, "FAULTFS_DIR": self.b.data_dir, "FAULTFS_CTL": self.ctl,
                # the shim precedes a dynamic libasan in the link order
                "ASAN_OPTIONS": asan + ":verify_asan_link_order=0"}

    def start(self, timeout=tmhelp.START_TIMEOUT):
        saved = {k: os.environ.get(k) for k in self.env()}
        os.environ.update(self.env())
        try:
            self.b.start(timeout)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def restart(self):
        problems = self.b.stop() + self.b.sanitizer_problems()
        assert not problems, "restart: %s\n%s" % ("; ".join(problems), self.b.stderr_tail())
        self.start()

    def set(self, spec):
        """spec e.g. "write=ENOSPC", "fsync=EIO write=EIO"; takes effect at once."""
        tmp = self.ctl + ".tmp"
        with open(tmp, "w") as f:
            f.write(spec + "\n")
        os.rename(tmp, self.ctl)

    def clear(self):
        try:
            os.unlink(self.ctl)
        except FileNotFoundError:
            pass

    def stderr_text(self):
        with open(self.b.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def require_fired(self, marker):
        """Skips the test when the broker log lacks marker (the shim had no effect)."""
        if marker not in self.stderr_text():
            pytest.skip("the faultfs shim had no effect on %s (statically linked sanitizer runtime?)"
                        % tmhelp.broker_bin())


def start_broker(base_dir, shim, overrides=None):
    b = tmhelp.Broker(base_dir, overrides or {})
    f = Fault(b, shim)
    f.start()
    return b, f


@pytest.fixture
def fault_broker(tmp_path_factory, faultfs_shim, request):
    """(broker, Fault) with the shim preloaded; module BROKER_OVERRIDES apply."""
    overrides = dict(getattr(request.module, "BROKER_OVERRIDES", {}))
    b, f = start_broker(tmp_path_factory.mktemp("fbroker"), faultfs_shim, overrides)
    yield b, f
    f.clear()
    problems = b.stop() + b.sanitizer_problems()
    if problems:
        pytest.fail("broker %s: %s\n%s" % (b.bootstrap, "; ".join(problems), b.stderr_tail()), pytrace=False)
