"""Fault injection (--faults / BLOBFLOW_DEVSTORE_FAULTS): injected failures look exactly like
Azure's (status, x-ms-error-code, Retry-After) so Microsoft's SDK retry policies recover from them."""

from __future__ import annotations

import os
import time

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient
from azure.storage.blob import LinearRetry as BlobLinearRetry
from azure.storage.queue import LinearRetry, QueueServiceClient

from support import assert_azure_error, raw_request

FAST_RETRY = dict(backoff=0.1, random_jitter_range=0.05, retry_total=12)


def _patient(settings: dict) -> dict:
    """The SDK's retry policies give status/connect/read failures their own budgets of 3 retries;
    at a 30 % fault rate 4 failures in a row happen in ~1 % of calls, so lift them to retry_total
    (an SDK setting, not a workaround for the server)."""
    for k in ("connect", "read", "status"):
        settings[k] = settings["total"]
    return settings


class PatientRetry(LinearRetry):
    def configure_retries(self, request):
        return _patient(super().configure_retries(request))


class PatientBlobRetry(BlobLinearRetry):
    def configure_retries(self, request):
        return _patient(super().configure_retries(request))


def _queue_service(store, **kw) -> QueueServiceClient:
    opts = {"retry_policy": PatientRetry(**FAST_RETRY), "connection_timeout": 5, "read_timeout": 10}
    opts.update(kw)
    return QueueServiceClient.from_connection_string(store.connection_string, **opts)


def _blob_service(store, **kw) -> BlobServiceClient:
    opts = {"retry_policy": PatientBlobRetry(**FAST_RETRY), "connection_timeout": 5, "read_timeout": 10}
    opts.update(kw)
    return BlobServiceClient.from_connection_string(store.connection_string, **opts)


def _create(create, get, name):
    """Create through retries: a retried create may find its own first attempt (409/204)."""
    try:
        return create(name)
    except ResourceExistsError:
        return get(name)


def _send_and_receive_all(q, n: int, visibility: int = 30, timeout: float = 60) -> list:
    """Send n numbered messages, then receive and delete until every number has been seen."""
    for i in range(n):
        q.send_message(f"m-{i:03d}")
    seen = []
    deadline = time.monotonic() + timeout
    while len(set(seen)) < n and time.monotonic() < deadline:
        page = list(next(q.receive_messages(messages_per_page=32, visibility_timeout=visibility).by_page(), []))
        if not page:
            time.sleep(0.2)
            continue
        for m in page:
            seen.append(m.content)
            q.delete_message(m)
    return seen


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_sdk_retries_through_500_and_503(devstore_factory):
    """rate=0.3 of all requests fail with 500 OperationTimedOut / 503 ServerBusy: the SDK's own
    retry policy still completes 50 sends, 50 receives+deletes and a chunked blob upload/download,
    with no message lost or duplicated."""
    store = devstore_factory(args=["--faults", "rate=0.3,kinds=503|500,seed=1"])
    qs = _queue_service(store)
    q = _create(qs.create_queue, qs.get_queue_client, "faulty")
    seen = _send_and_receive_all(q, 50)
    assert sorted(seen) == [f"m-{i:03d}" for i in range(50)], "lost or duplicated messages"
    assert q.get_queue_properties().approximate_message_count == 0

    bs = _blob_service(store, max_single_put_size=32 * 1024, max_block_size=32 * 1024,
                       max_single_get_size=32 * 1024, max_chunk_get_size=32 * 1024)
    data = os.urandom(300_000)
    bc = _create(bs.create_container, bs.get_container_client, "faulty").get_blob_client("f.bin")
    bc.upload_blob(data)
    assert bc.download_blob().readall() == data


def test_injected_fault_shapes(devstore_factory):
    """rate=1 on PutMessage only: Put Message -> 503 ServerBusy with Retry-After and an Azure XML
    error body; other operations (Peek, List Queues) are untouched. The env variable form with
    kinds=500 -> 500 OperationTimedOut."""
    store = devstore_factory(args=["--faults", "rate=1.0,kinds=503,ops=PutMessage,seed=2"])
    sas = store.account_sas()
    url = f"{store.queue_endpoint}/blobflow-events/messages?{sas}"
    s, h, b = raw_request("POST", url, "<QueueMessage><MessageText>x</MessageText></QueueMessage>")
    assert_azure_error(s, h, b, 503, "ServerBusy")
    assert h.get("retry-after", "").strip().isdigit(), f"Retry-After missing/invalid: {h}"
    s, h, b = raw_request("GET", f"{store.queue_endpoint}/blobflow-events/messages?peekonly=true&{sas}")
    assert s == 200, (s, b[:200])
    s, h, b = raw_request("GET", f"{store.queue_endpoint}?comp=list&{sas}")
    assert s == 200, (s, b[:200])

    store2 = devstore_factory(env={"BLOBFLOW_DEVSTORE_FAULTS": "rate=1.0,kinds=500,ops=PutMessage,seed=3"})
    sas2 = store2.account_sas()
    s, h, b = raw_request("POST", f"{store2.queue_endpoint}/blobflow-events/messages?{sas2}",
                          "<QueueMessage><MessageText>x</MessageText></QueueMessage>")
    assert_azure_error(s, h, b, 500, "OperationTimedOut")


def test_no_faults_by_default(devstore):
    """Without --faults nothing is injected: 100 quick requests all succeed."""
    sas = devstore.account_sas()
    for _ in range(100):
        s, _, b = raw_request("GET", f"{devstore.queue_endpoint}?comp=list&{sas}")
        assert s == 200, (s, b[:200])


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_sdk_survives_drops_and_hangs(devstore_factory):
    """kinds=drop|hang (hang=1 s then drop) on Get/Put Message at rate 0.2: the SDK retries on
    connection errors and every message is eventually received (duplicates tolerated: a dropped
    reply may follow a processed request, as on Azure)."""
    store = devstore_factory(args=["--faults", "rate=0.2,kinds=drop|hang,ops=GetMessages|PutMessage,seed=4,hang=1"])
    qs = _queue_service(store, read_timeout=4)
    q = _create(qs.create_queue, qs.get_queue_client, "droppy")
    seen = _send_and_receive_all(q, 20, visibility=2, timeout=90)
    assert set(seen) == {f"m-{i:03d}" for i in range(20)}
    assert store.alive()


def test_hang_and_drop_shapes(devstore_factory):
    """kinds=hang holds the connection for `hang` seconds and then closes it without a reply;
    kinds=drop closes it at once; operations outside `ops` are unaffected."""
    import http.client
    store = devstore_factory(args=["--faults", "rate=1.0,kinds=hang,ops=PutMessage,seed=5,hang=2"])
    url = f"{store.queue_endpoint}/blobflow-events/messages?{store.account_sas()}"
    body = "<QueueMessage><MessageText>x</MessageText></QueueMessage>"
    t0 = time.monotonic()
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        raw_request("POST", url, body, timeout=10)
    waited = time.monotonic() - t0
    # The lower bound is what matters (it held the connection); the upper one only has to tell
    # hang=2 from a hang of the default 30 s on a loaded machine.
    assert 1.5 <= waited <= 20, f"hang=2 answered (closed) after {waited:.1f}s"
    s, _, _ = raw_request("GET", f"{store.queue_endpoint}?comp=list&{store.account_sas()}")
    assert s == 200

    store2 = devstore_factory(args=["--faults", "rate=1.0,kinds=drop,ops=PutMessage,seed=6"])
    url2 = f"{store2.queue_endpoint}/blobflow-events/messages?{store2.account_sas()}"
    t0 = time.monotonic()
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        raw_request("POST", url2, body, timeout=10)
    assert time.monotonic() - t0 < 10, "a drop closes at once, never waiting for the 30 s hang"
    store2.assert_alive()
