"""The operations endpoints of `blobflow run` (BLOBFLOW_HTTP_PORT): /metrics moves with the work
and agrees with what was processed; /readyz follows the consumer's life; /healthz turns unhealthy
when the storage endpoint stays unreachable."""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request

import pytest

from consumer_support import Harness
from support import wait_until


@pytest.fixture
def harness(devstore_factory, tmp_path):
    h = Harness(devstore_factory(), tmp_path / "h")
    yield h
    h.stop_all()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except urllib.error.URLError as error:  # not listening yet, or gone
        return 0, str(error)


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample; 0 when absent."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-z_]+)(\{[^}]*\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(3))
    return 0.0


@pytest.mark.timeout(120)
def test_metrics_follow_the_work_and_health_follows_storage(harness):
    h = harness
    port = free_port()
    h.set_app(fail_pattern="bad", fail_code=65)
    c = h.consumer(http_port=port, http_host="127.0.0.1", max_poll_interval="1s")
    wait_until(lambda: get(port, "/readyz")[0] == 200, timeout=30, what="/readyz to answer 200")
    status, body = get(port, "/healthz")
    assert status == 200 and body.startswith("ok"), body

    names = {f"m/{i}.txt": f"file {i}".encode() for i in range(12)}
    names["m/bad.txt"] = b"rejected by the app"
    h.upload(names)
    seen = []

    def done():
        text = get(port, "/metrics")[1]
        seen.append(metric(text, "blobflow_events_completed_total"))
        return metric(text, "blobflow_events_completed_total") == 12 and \
            metric(text, "blobflow_events_dead_lettered_total", reason="permanent-failure") == 1
    wait_until(done, timeout=60, what="12 completed and 1 dead-lettered in /metrics")
    text = get(port, "/metrics")[1]
    assert metric(text, "blobflow_events_received_total") == 13
    assert metric(text, "blobflow_events_failed_total", reason="app-exit-65") == 1
    assert metric(text, "blobflow_events_in_flight") == 0
    assert metric(text, "blobflow_processing_duration_seconds_count") == 12
    assert metric(text, "blobflow_step_duration_seconds_count", step="processed") >= 12
    # Buckets reach an hour, so the processing-time alert (monitoring/) can see a slow p95.
    bounds = {float(le) for le in re.findall(r'^blobflow_processing_duration_seconds_bucket\{[^}]*le="([0-9.e+]+)"', text, re.M)}
    assert 900 in bounds and 3600 in bounds, sorted(bounds)
    assert metric(text, "blobflow_poll_requests_total", result="messages") >= 1
    assert metric(text, "blobflow_poll_requests_total", result="empty") >= 1
    assert len(set(seen)) >= 1
    assert "sig=" not in text and "AccountKey" not in text
    status_report = h.status()
    assert status_report["checkpoints"]["byStep"]["completed"] == 12

    # Storage goes away: polls fail, and after 3 x max poll interval + 10 s /healthz says so.
    h.store.stop()
    wait_until(lambda: get(port, "/healthz")[0] == 503, timeout=60, interval=1, what="/healthz to turn 503")
    assert get(port, "/healthz")[1].startswith("unhealthy")
    # (The poll in progress is still retrying with backoff, so it has not counted as an error yet.)
    c.stop()
    h.store.start()
