# conftest.py: pytest fixtures that run a real tidemarkd for the integration suite.
#
# Run under Debian's /usr/bin/python3 (its confluent_kafka and kafka packages
# import only there):  TIDEMARK_BIN=build/asan/tidemarkd /usr/bin/python3 -m pytest tests/integration
#
# Fixtures:
#   broker          function-scoped broker (fresh data dir per test)
#   module_broker   one broker shared by all tests of a module
#   broker_factory  start extra brokers / brokers with custom overrides
# Per-test overrides: @pytest.mark.overrides(**{"offsets.retention.minutes": 1});
# module-level: BROKER_OVERRIDES = {...} in the test module.
# Per-test time limit: @pytest.mark.timeout_s(300) (default 120 s, env
# TIDEMARK_TEST_TIMEOUT). Teardown fails the test if the broker did not exit 0
# after SIGTERM or wrote a sanitizer report.
import faulthandler
import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmhelp  # noqa: E402

DEFAULT_TIMEOUT = int(os.environ.get("TIDEMARK_TEST_TIMEOUT", "120"))


def pytest_configure(config):
    config.addinivalue_line("markers", "overrides(**props): broker --override key=value properties")
    config.addinivalue_line("markers", "timeout_s(n): per-test time limit in seconds")
    config.addinivalue_line("markers", "slow: takes more than ~20 s")


class TestTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise TestTimeout("test exceeded its time limit (SIGALRM); see the traceback for where it hung")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    mark = item.get_closest_marker("timeout_s")
    limit = int(mark.args[0]) if mark else DEFAULT_TIMEOUT
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(limit)
    # Backstop if the main thread is stuck inside C code and never sees the
    # alarm: dump every thread's stack and exit the whole run.
    faulthandler.dump_traceback_later(limit + 60, exit=True)
    try:
        yield
    finally:
        signal.alarm(0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, old)


def _overrides_for(request):
    props = {}
    mod = getattr(request, "module", None)
    if mod is not None:
        props.update(getattr(mod, "BROKER_OVERRIDES", {}))
    node = getattr(request, "node", None)
    if node is not None and request.scope == "function":
        mark = node.get_closest_marker("overrides")
        if mark:
            props.update(mark.kwargs)
            for a in mark.args:
                props.update(a)
    return props


@pytest.fixture
def broker_factory(tmp_path_factory):
    """Returns start(**overrides) -> tmhelp.Broker; all stopped (and checked) at teardown."""
    started = []

    def start(overrides=None, name="broker"):
        b = tmhelp.Broker(tmp_path_factory.mktemp(name), overrides or {})
        started.append(b)
        b.start()
        return b

    yield start
    errors = []
    for b in started:
        errors.extend(b.shutdown_check())
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


@pytest.fixture
def broker(request, tmp_path_factory):
    b = tmhelp.Broker(tmp_path_factory.mktemp("broker"), _overrides_for(request))
    b.start()
    yield b
    errors = b.shutdown_check()
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


@pytest.fixture(scope="module")
def module_broker(request, tmp_path_factory):
    b = tmhelp.Broker(tmp_path_factory.mktemp("mbroker"), _overrides_for(request))
    b.start()
    yield b
    errors = b.shutdown_check()
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


@pytest.fixture(autouse=True)
def _broker_alive_check(request):
    """After each test, a shared broker the test used must still be running.
    (A function-scoped broker that died is reported by its own teardown.)"""
    yield
    for name in ("module_broker",):
        if name in request.fixturenames:
            b = request.getfixturevalue(name)
            if b.proc is not None and b.proc.poll() is not None and not b.expect_dead:
                pytest.fail("broker died during the test (exit %s)\n%s" % (b.proc.returncode, b.stderr_tail()),
                            pytrace=False)


@pytest.fixture
def topic_name(request):
    return tmhelp.unique_name(request.node.name)


def pytest_report_header(config):
    return "tidemark binary: %s" % tmhelp.broker_bin()


@pytest.fixture(scope="session")
def ctools(tmp_path_factory):
    """Compiles tests/integration/c/*.c against librdkafka; returns {name: path}."""
    out = tmp_path_factory.mktemp("ctools")
    src_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "c")
    tools = {}
    for fn in sorted(os.listdir(src_dir)):
        if not fn.endswith(".c"):
            continue
        name = fn[:-2]
        exe = str(out / name)
        cc = os.environ.get("CC", "cc")
        tmhelp.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-g", "-o", exe,
                    os.path.join(src_dir, fn), "-lrdkafka"], timeout=120)
        tools[name] = exe
    return tools
