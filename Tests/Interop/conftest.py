"""Fixtures for the blobflow devstore interoperability suite.

`devstore`          one server per test module (default flags), in a fresh temporary --location.
`devstore_factory`  starts servers with custom flags/env per test; each stops at teardown.
Every server is stopped with SIGTERM (SIGKILL after 10 s) and the suite fails if it did not exit 0,
so a crash or a hang on shutdown anywhere in a module shows up as an error.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import DevStore, blobflow_bin  # noqa: E402

DEFAULT_TIMEOUT = 90


def _require_binary():
    if not blobflow_bin().exists():
        pytest.fail(f"server binary {blobflow_bin()} not found: run `swift build` or set BLOBFLOW_BIN",
                    pytrace=False)


def _finish(store: DevStore):
    crashed_before = store.proc is not None and store.proc.poll() is not None
    code = store.stop()
    bad = [c for c in store.exit_codes if c != 0]
    if crashed_before or bad:
        pytest.fail(f"blobflow devstore exit codes {store.exit_codes} (expected all 0; "
                    f"crashed before teardown: {crashed_before})\n{store.output_tail()}", pytrace=False)
    return code


@pytest.fixture(scope="module")
def devstore(tmp_path_factory):
    """A server with default flags shared by one test module."""
    _require_binary()
    work = tmp_path_factory.mktemp("devstore")
    store = DevStore(location=work / "loc", workdir=work)
    store.location.mkdir()
    try:
        store.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield store
    _finish(store)


@pytest.fixture
def devstore_factory(tmp_path):
    """Call factory(args=[...], env={...}) to start a dedicated server for this test."""
    _require_binary()
    started = []

    def factory(args=(), env=None, location=None) -> DevStore:
        n = len(started)
        work = tmp_path / f"srv{n}"
        work.mkdir()
        loc = Path(location) if location else work / "loc"
        loc.mkdir(exist_ok=True)
        store = DevStore(location=loc, workdir=work, args=list(args), env_extra=dict(env or {}))
        started.append(store)
        try:
            store.start()
        except RuntimeError as e:
            pytest.fail(str(e), pytrace=False)
        return store

    yield factory
    for store in started:
        _finish(store)


class _TestTimeout(Exception):
    pass


@pytest.fixture(autouse=True)
def _wall_clock_limit(request):
    """Abort a test that runs longer than its timeout marker (default 90 s) instead of hanging."""
    marker = request.node.get_closest_marker("timeout")
    seconds = int(marker.args[0]) if marker else DEFAULT_TIMEOUT

    def on_alarm(signum, frame):
        raise _TestTimeout(f"test exceeded its {seconds}s limit")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
