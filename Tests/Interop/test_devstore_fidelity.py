"""The development server does what it says or says what it does not do.

Judged with Microsoft's Python SDK (and raw HTTP where the SDK hides the wire):
- access tiers: set on upload, by Set Blob Tier and on copy; reported by Get Blob Properties and
  List Blobs with the inferred flag and change time; an Archive blob refuses reads with 409
  BlobArchived until Set Blob Tier rehydrates it (at once here);
- copy sources written with an account's production host (`ACCOUNT.blob.core.windows.net`);
- unsupported operations: 501 APINotImplemented naming the operation, as Azurite answers;
- the request log at --log-level debug;
- no lost or resurrected queue changes when the journal cannot be written;
- a reader streaming a blob keeps every byte of the version it started on through an overwrite.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import resource
import signal
import subprocess
import threading
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import StandardBlobTier

from support import DEV_ACCOUNT, assert_azure_error, raw_request, sdk_error_desc, unique

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def container(devstore):
    service = devstore.blob_service()
    client = service.create_container(unique("fid"))
    return client


def _expect_error(call, status: int, code: str) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as info:
        call()
    error = info.value
    assert error.status_code == status and error.error_code == code, sdk_error_desc(error)
    return error


# ------------------------------------------------------------------------------------------ tiers
def test_default_tier_is_inferred_hot(container):
    blob = container.upload_blob("plain.txt", b"plain")
    props = blob.get_blob_properties()
    assert props.blob_tier == "Hot"
    assert props.blob_tier_inferred is True
    assert props.blob_tier_change_time is None


def test_tier_on_upload_and_block_list_is_reported_and_listed(container):
    container.upload_blob("cool.txt", b"cool", standard_blob_tier=StandardBlobTier.COOL)
    staged = container.get_blob_client("cold.txt")
    staged.stage_block("YmxvY2sx", b"cold")
    staged.commit_block_list(["YmxvY2sx"], standard_blob_tier=StandardBlobTier.COLD)
    for name, tier in (("cool.txt", "Cool"), ("cold.txt", "Cold")):
        props = container.get_blob_client(name).get_blob_properties()
        assert props.blob_tier == tier
        assert not props.blob_tier_inferred
    listed = {b.name: b for b in container.list_blobs()}
    assert listed["cool.txt"].blob_tier == "Cool"
    assert not listed["cool.txt"].blob_tier_inferred
    assert listed["cold.txt"].blob_tier == "Cold"
    assert listed["plain.txt"].blob_tier == "Hot"
    assert listed["plain.txt"].blob_tier_inferred is True


def test_archive_refuses_reads_until_rehydrated(container):
    blob = container.upload_blob("archived.bin", b"offline bytes")
    before = blob.get_blob_properties()
    blob.set_standard_blob_tier(StandardBlobTier.ARCHIVE)
    props = blob.get_blob_properties()
    assert props.blob_tier == "Archive"
    assert not props.blob_tier_inferred
    assert props.blob_tier_change_time is not None
    # Set Blob Tier changes neither the ETag nor Last-Modified, as in Azure.
    assert props.etag == before.etag and props.last_modified == before.last_modified
    listed = {b.name: b for b in container.list_blobs(name_starts_with="archived")}
    assert listed["archived.bin"].blob_tier == "Archive"
    assert listed["archived.bin"].blob_tier_change_time is not None

    error = _expect_error(lambda: blob.download_blob().readall(), 409, "BlobArchived")
    assert "archived blob" in error.message
    _expect_error(lambda: blob.set_blob_metadata({"k": "v"}), 409, "BlobArchived")
    # Properties (and metadata) of an archived blob stay readable.
    assert blob.get_blob_properties().size == len(b"offline bytes")

    blob.set_standard_blob_tier(StandardBlobTier.COOL)
    assert blob.download_blob().readall() == b"offline bytes"
    assert blob.get_blob_properties().blob_tier == "Cool"


def test_invalid_and_missing_tier_are_refused(devstore, container):
    blob = container.upload_blob("tierless.txt", b"x")
    url = f"{blob.url}?comp=tier&{devstore.account_sas()}"
    status, headers, body = raw_request("PUT", url, headers={"x-ms-access-tier": "P10"})
    assert_azure_error(status, headers, body, 400, "InvalidHeaderValue")
    status, headers, body = raw_request("PUT", url)
    assert_azure_error(status, headers, body, 400, "MissingRequiredHeader")


def test_copy_takes_the_requested_tier_not_the_sources(container):
    source = container.upload_blob("copy-src.txt", b"copy me", standard_blob_tier=StandardBlobTier.COOL)
    plain = container.get_blob_client("copy-plain.txt")
    plain.start_copy_from_url(source.url)
    props = plain.get_blob_properties()
    assert props.blob_tier == "Hot" and props.blob_tier_inferred is True
    tiered = container.get_blob_client("copy-cold.txt")
    tiered.start_copy_from_url(source.url, standard_blob_tier=StandardBlobTier.COLD)
    assert tiered.get_blob_properties().blob_tier == "Cold"

    source.set_standard_blob_tier(StandardBlobTier.ARCHIVE)
    # An archived source is offline: a copy must name the (online) tier it rehydrates into.
    _expect_error(lambda: container.get_blob_client("copy-x.txt").start_copy_from_url(source.url), 409, "BlobArchived")
    rehydrated = container.get_blob_client("copy-rehydrated.txt")
    rehydrated.start_copy_from_url(source.url, standard_blob_tier=StandardBlobTier.HOT)
    assert rehydrated.download_blob().readall() == b"copy me"
    assert rehydrated.get_blob_properties().blob_tier == "Hot"


# ----------------------------------------------------------------------- production-style hosts
def test_copy_source_on_the_accounts_production_host(container):
    source = container.upload_blob("prod/source.txt", b"same server")
    production = f"https://{DEV_ACCOUNT}.blob.core.windows.net/{container.container_name}/prod/source.txt"
    copy = container.get_blob_client("prod/copy.txt")
    result = copy.start_copy_from_url(production)
    assert result["copy_status"] == "success"
    assert copy.download_blob().readall() == b"same server"
    assert copy.get_blob_properties().copy.source == production

    from_url = container.get_blob_client("prod/from-url.txt")
    from_url.upload_blob_from_url(production)
    assert from_url.download_blob().readall() == b"same server"
    assert source.get_blob_properties().size == len(b"same server")


def test_copy_source_on_an_unserved_production_host_is_not_found(container):
    missing = f"https://someoneelse.blob.core.windows.net/{container.container_name}/prod/source.txt"
    _expect_error(lambda: container.get_blob_client("prod/nope.txt").start_copy_from_url(missing), 404, "CannotVerifyCopySource")


# ----------------------------------------------------------------------- unsupported operations
def test_unsupported_operations_answer_501_naming_the_operation(devstore, container):
    blob = container.upload_blob("unsupported.txt", b"x")
    cases = [
        (lambda: blob.acquire_lease(), "Lease Blob"),
        (lambda: blob.create_snapshot(), "Snapshot Blob"),
        (lambda: blob.undelete_blob(), "Undelete Blob"),
        (lambda: blob.abort_copy("00000000-0000-0000-0000-000000000000"), "Abort Copy Blob"),
        (lambda: container.acquire_lease(), "Lease Container"),
    ]
    for call, name in cases:
        error = _expect_error(call, 501, "APINotImplemented")
        assert name in error.message, error.message
        assert "BlobOperation" not in error.message
    # The queue service's statistics (the SDK asks the secondary host; ask the primary here).
    status, headers, body = raw_request(
        "GET", f"{devstore.queue_endpoint}?restype=service&comp=stats&{devstore.account_sas()}")
    assert_azure_error(status, headers, body, 501, "APINotImplemented")
    assert b"Get Queue Service Stats" in body


# ---------------------------------------------------------------------------------- request log
def test_request_log_at_debug_level(devstore_factory):
    store = devstore_factory(args=["--log-level", "debug"])
    service = store.blob_service()
    name = unique("log")
    service.create_container(name)
    sas = store.account_sas()
    signature = urllib.parse.parse_qs(sas)["sig"][0]
    status, headers, _ = raw_request("GET", f"{store.blob_endpoint}/{name}/missing.txt?{sas}")
    assert status == 404
    request_id = headers["x-ms-request-id"]
    pattern = re.compile(
        r"GET (/\S+) -> 404 BlobNotFound \(request " + re.escape(request_id) + r", (\d+\.\d) ms\)")

    def find():
        text = Path(store.stderr_path).read_text("utf-8", "replace")
        return pattern.search(text), text

    import time
    deadline = time.monotonic() + 10
    match, text = find()
    while match is None and time.monotonic() < deadline:
        time.sleep(0.1)
        match, text = find()
    assert match, f"no request log line for {request_id}:\n{text[-2000:]}"
    assert match.group(1).startswith(f"/{DEV_ACCOUNT}/{name}/missing.txt?")
    assert "sig=" not in match.group(1) or "sig=REDACTED" in match.group(1)
    assert signature not in text and urllib.parse.quote(signature, safe="") not in text
    # Successful requests are logged too (no error code).
    assert re.search(r"PUT /" + re.escape(DEV_ACCOUNT) + "/" + name + r"\?restype=container -> 201 \(request ", text)


# -------------------------------------------------------------------- queue journal write failure
def _ignoring_sigxfsz():
    # A write past RLIMIT_FSIZE then fails with EFBIG instead of killing the server.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def test_failed_journal_write_changes_nothing(devstore_factory, monkeypatch):
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        kwargs.setdefault("preexec_fn", _ignoring_sigxfsz)
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", popen)
    store = devstore_factory()
    monkeypatch.setattr(subprocess, "Popen", real_popen)
    queue = store.queue_service().create_queue(unique("jrnl"))
    queue.send_message("keep me")
    received = next(iter(queue.receive_messages(visibility_timeout=1)))
    journals = list(Path(store.location).rglob("*.journal"))
    assert len(journals) == 1, journals
    journal = journals[0]
    size = journal.stat().st_size
    unlimited = resource.getrlimit(resource.RLIMIT_FSIZE)
    # Room for a few bytes only: the delete's record is torn part-way, the next write fails outright.
    resource.prlimit(store.proc.pid, resource.RLIMIT_FSIZE, (size + 10, unlimited[1]))
    try:
        _expect_error(lambda: queue.delete_message(received.id, received.pop_receipt), 500, "InternalError")
        _expect_error(lambda: queue.send_message("never stored"), 500, "InternalError")
        _expect_error(lambda: queue.clear_messages(), 500, "InternalError")
    finally:
        resource.prlimit(store.proc.pid, resource.RLIMIT_FSIZE, unlimited)
    assert journal.stat().st_size == size, "a failed append left bytes in the journal"

    def only_message():
        import time
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            peeked = queue.peek_messages(max_messages=32)
            if peeked:
                return peeked
            time.sleep(0.2)
        return []

    # In memory: the message is still there, as it was.
    peeked = only_message()
    assert [(m.id, m.content, m.dequeue_count) for m in peeked] == [(received.id, "keep me", 1)]
    # On disk: the same after a restart, and the journal still takes new records.
    store.restart()
    queue = store.queue_service().get_queue_client(queue.queue_name)
    peeked = only_message()
    assert [(m.id, m.content, m.dequeue_count) for m in peeked] == [(received.id, "keep me", 1)]
    again = next(iter(queue.receive_messages(visibility_timeout=30)))
    queue.delete_message(again.id, again.pop_receipt)
    store.restart()
    queue = store.queue_service().get_queue_client(queue.queue_name)
    assert queue.peek_messages(max_messages=32) == []
    assert queue.get_queue_properties().approximate_message_count == 0


# --------------------------------------------------------------------- overwrite while streaming
def _content(seed: bytes, size: int) -> bytes:
    chunk = hashlib.sha256(seed).digest() * (MiB // 32)
    parts = []
    for index in range(size // MiB):
        parts.append(index.to_bytes(8, "big") + chunk[8:])
    return b"".join(parts)


def test_reader_keeps_the_old_version_through_an_overwrite(devstore, container):
    from azure.storage.blob import BlobSasPermissions, generate_blob_sas

    size = 200 * MiB
    old = _content(b"old", size)
    old_digest = hashlib.sha256(old).hexdigest()
    blob = container.get_blob_client("big/overwritten.bin")
    # Uploaded in 4 MiB blocks: the reader crosses many extents after the overwrite.
    blob.upload_blob(old, max_concurrency=2)
    del old
    sas = generate_blob_sas(
        DEV_ACCOUNT, container.container_name, "big/overwritten.bin", account_key=devstore.account_key,
        permission=BlobSasPermissions(read=True), expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    parts = urllib.parse.urlsplit(f"{blob.url}?{sas}")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.request("GET", f"{parts.path}?{parts.query}", headers={"x-ms-version": "2021-08-06"})
    response = conn.getresponse()
    assert response.status == 200
    digest = hashlib.sha256()
    first = response.read(8 * MiB)
    digest.update(first)
    received = len(first)
    # Overwrite (and then delete) while the reader is a few MiB in.
    blob.upload_blob(b"new and short", overwrite=True)
    container.get_blob_client("big/overwritten.bin").delete_blob()
    while True:
        chunk = response.read(4 * MiB)
        if not chunk:
            break
        digest.update(chunk)
        received += len(chunk)
    conn.close()
    assert received == size
    assert digest.hexdigest() == old_digest
    # The old extents go once the reader is done: nothing but live blobs' extents stays.
    # The server deletes extents while this loop lists them, so a file may vanish between
    # the listing and its stat.
    extents = Path(devstore.location) / "blob" / "extents"

    def stored_bytes():
        total = 0
        for path in extents.iterdir() if extents.exists() else ():
            try:
                total += path.stat().st_size
            except FileNotFoundError:
                pass
        return total

    import time
    deadline = time.monotonic() + 60
    while stored_bytes() >= size and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stored_bytes() < size
