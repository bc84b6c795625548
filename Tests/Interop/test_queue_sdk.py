"""Queue service interoperability: azure-storage-queue (Microsoft's Python SDK) against devstore."""

from __future__ import annotations

import collections
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.storage.queue import QueueClient, QueueSasPermissions, QueueServiceClient, generate_queue_sas

from support import NO_RETRY, random_key, raw_request, sdk_error_desc, unique, wait_until


@pytest.fixture(scope="module")
def qservice(devstore) -> QueueServiceClient:
    return devstore.queue_service()


@pytest.fixture
def queue(qservice):
    """A fresh queue, deleted afterwards."""
    q = qservice.create_queue(unique("q"))
    yield q
    try:
        q.delete_queue()
    except ResourceNotFoundError:
        pass


def _first_page(q: QueueClient, **kw) -> list:
    """One Get Messages call (the SDK's pager would otherwise keep asking until empty)."""
    return list(next(q.receive_messages(**kw).by_page(), []))


# --------------------------------------------------------------------------- queues
def test_queue_create_list_delete(qservice):
    """Create Queue (201, 204 for an identical re-create, 409 QueueAlreadyExists with different
    metadata), List Queues with prefix/metadata/paging, Delete Queue, then QueueNotFound."""
    prefix = unique("ql")
    names = [f"{prefix}-{i}" for i in range(5)]
    for n in names:
        qservice.create_queue(n, metadata={"n": n[-1]})
    with pytest.raises(ResourceExistsError) as ei:  # SDK raises on 204 too
        qservice.create_queue(names[0], metadata={"n": "0"})
    assert ei.value.status_code == 204, sdk_error_desc(ei.value)
    with pytest.raises(ResourceExistsError) as ei:
        qservice.create_queue(names[0], metadata={"different": "yes"})
    assert ei.value.status_code == 409 and ei.value.error_code == "QueueAlreadyExists", sdk_error_desc(ei.value)

    listed = list(qservice.list_queues(name_starts_with=prefix, include_metadata=True))
    assert [q.name for q in listed] == sorted(names)
    assert all(q.metadata == {"n": q.name[-1]} for q in listed)
    pages = [[q.name for q in p] for p in qservice.list_queues(name_starts_with=prefix,
                                                               results_per_page=2).by_page()]
    assert pages == [sorted(names)[0:2], sorted(names)[2:4], sorted(names)[4:]]

    for n in names:
        qservice.delete_queue(n)
    assert list(qservice.list_queues(name_starts_with=prefix)) == []
    with pytest.raises(ResourceNotFoundError) as ei:
        qservice.get_queue_client(names[0]).get_queue_properties()
    assert ei.value.error_code == "QueueNotFound", sdk_error_desc(ei.value)
    with pytest.raises(ResourceNotFoundError) as ei:
        qservice.get_queue_client(names[0]).send_message("x")
    assert ei.value.error_code == "QueueNotFound", sdk_error_desc(ei.value)


def test_queue_metadata_and_count(queue):
    """Set/Get Queue Metadata round-trips; x-ms-approximate-messages-count follows sends/deletes."""
    queue.set_queue_metadata({"alpha": "1", "Beta": "two"})
    props = queue.get_queue_properties()
    assert {k.lower(): v for k, v in props.metadata.items()} == {"alpha": "1", "beta": "two"}
    assert props.approximate_message_count == 0
    for i in range(3):
        queue.send_message(f"m{i}")
    assert queue.get_queue_properties().approximate_message_count == 3
    m = queue.receive_message()
    queue.delete_message(m)
    assert queue.get_queue_properties().approximate_message_count == 2


# --------------------------------------------------------------------------- messages
def test_send_receive_delete_roundtrip(queue):
    """Put Message returns id/pop receipt/times; Get Messages returns the same text (XML special
    characters and unicode intact) with dequeue_count 1; Delete Message removes it."""
    text = "hello <world> & 'friends' \"quoted\" — ünïcödé 日本 🎉"
    sent = queue.send_message(text)
    assert sent.id and sent.pop_receipt and sent.inserted_on and sent.expires_on and sent.next_visible_on
    assert timedelta(days=6, hours=23) < sent.expires_on - sent.inserted_on <= timedelta(days=7, seconds=1)
    got = queue.receive_message(visibility_timeout=30)
    assert got is not None
    assert got.id == sent.id
    assert got.content == text
    assert got.dequeue_count == 1
    assert got.pop_receipt
    queue.delete_message(got.id, got.pop_receipt)
    assert queue.receive_message() is None
    assert queue.peek_messages() == []


def test_fifo_and_batch_of_32(queue):
    """Get Messages with numofmessages=32 returns 32 of 40 messages, in insertion order."""
    for i in range(40):
        queue.send_message(f"msg-{i:02d}")
    batch = _first_page(queue, messages_per_page=32, visibility_timeout=60)
    assert len(batch) == 32
    assert [m.content for m in batch] == [f"msg-{i:02d}" for i in range(32)]
    assert len({m.id for m in batch}) == 32
    rest = _first_page(queue, messages_per_page=32, visibility_timeout=60)
    assert [m.content for m in rest] == [f"msg-{i:02d}" for i in range(32, 40)]
    assert _first_page(queue, messages_per_page=32) == []


def test_peek_does_not_dequeue(queue):
    """Peek Messages shows messages without changing visibility or dequeue count."""
    queue.send_message("a")
    queue.send_message("b")
    peeked = queue.peek_messages(max_messages=32)
    assert [m.content for m in peeked] == ["a", "b"]
    assert all(m.dequeue_count == 0 for m in peeked)
    assert all(not m.pop_receipt for m in peeked)
    assert [m.content for m in queue.peek_messages(max_messages=32)] == ["a", "b"]
    got = _first_page(queue, messages_per_page=32, visibility_timeout=30)
    assert [m.content for m in got] == ["a", "b"]
    assert queue.peek_messages() == []  # both are invisible now


def test_send_with_visibility_timeout(queue):
    """Put Message with visibilitytimeout=2 hides the message for ~2 s, then it appears."""
    t0 = time.monotonic()  # before the send: a slow reply must not shorten the measured wait
    sent = queue.send_message("later", visibility_timeout=2)
    assert (sent.next_visible_on - sent.inserted_on) >= timedelta(seconds=1)
    peeked, received = queue.peek_messages(), queue.receive_message()
    if time.monotonic() - t0 < 1.0:  # on a loaded machine the message may already be due
        assert peeked == [] and received is None
    got = received or wait_until(lambda: queue.receive_message(), timeout=8, what="delayed message")
    assert got.content == "later"
    assert time.monotonic() - t0 >= 1.0


def test_invisible_message_reappears_and_dequeue_count(queue):
    """A received message with visibilitytimeout=1 comes back after it expires, with
    dequeue_count incremented and a new pop receipt; the old receipt no longer deletes it."""
    queue.send_message("retry-me")
    received_at = time.monotonic()
    first = queue.receive_message(visibility_timeout=1)
    assert first.dequeue_count == 1
    hidden = queue.peek_messages()  # a peek leaves the dequeue count alone
    if time.monotonic() - received_at < 0.8:  # on a loaded machine it may already be visible again
        assert hidden == []
    second = wait_until(lambda: queue.receive_message(visibility_timeout=1), timeout=8,
                        what="message to become visible again")
    assert second.id == first.id
    assert second.dequeue_count == 2
    assert second.pop_receipt != first.pop_receipt
    third = wait_until(lambda: queue.receive_message(visibility_timeout=30), timeout=8,
                       what="message to become visible a third time")
    assert third.dequeue_count == 3
    with pytest.raises(HttpResponseError) as ei:
        queue.delete_message(first.id, first.pop_receipt)
    assert (ei.value.status_code, ei.value.error_code) in ((400, "PopReceiptMismatch"), (404, "MessageNotFound")), \
        sdk_error_desc(ei.value)
    queue.delete_message(third.id, third.pop_receipt)


def test_time_to_live(queue):
    """messagettl=-1 -> ExpirationTime 9999-12-31; messagettl=1 -> gone after expiry."""
    forever = queue.send_message("forever", time_to_live=-1)
    assert forever.expires_on.year == 9999, forever.expires_on
    short = queue.send_message("short", time_to_live=1)
    assert short.expires_on - short.inserted_on <= timedelta(seconds=2)
    peeked = queue.peek_messages(max_messages=32)
    assert forever.id in [m.id for m in peeked]
    assert peeked[0].expires_on.year == 9999
    time.sleep(2.2)
    assert [m.content for m in queue.peek_messages(max_messages=32)] == ["forever"]
    assert queue.get_queue_properties().approximate_message_count in (1, 2)  # approximate


def test_update_message(queue):
    """Update Message returns a new pop receipt and next-visible time; content changes; the old
    receipt is then rejected; the new one deletes."""
    queue.send_message("v1")
    msg = queue.receive_message(visibility_timeout=30)
    upd = queue.update_message(msg, content="v2", visibility_timeout=0)
    assert upd.pop_receipt and upd.pop_receipt != msg.pop_receipt
    assert upd.next_visible_on is not None
    peeked = queue.peek_messages()
    assert [m.content for m in peeked] == ["v2"]
    # update again with the OLD receipt -> rejected
    with pytest.raises(HttpResponseError) as ei:
        queue.update_message(msg.id, pop_receipt=msg.pop_receipt, content="v3", visibility_timeout=0)
    assert (ei.value.status_code, ei.value.error_code) in ((400, "PopReceiptMismatch"), (404, "MessageNotFound")), \
        sdk_error_desc(ei.value)
    # update visibility only, keeping content
    upd2 = queue.update_message(upd.id, pop_receipt=upd.pop_receipt, visibility_timeout=30)
    assert queue.peek_messages() == []
    with pytest.raises(HttpResponseError) as ei:
        queue.delete_message(upd.id, upd.pop_receipt)
    assert ei.value.status_code in (400, 404), sdk_error_desc(ei.value)
    queue.delete_message(upd2.id, upd2.pop_receipt)
    assert queue.get_queue_properties().approximate_message_count == 0


def test_update_keeps_content_when_no_body(queue):
    """Update Message without a body changes only visibility; the text is unchanged."""
    queue.send_message("keep")
    msg = queue.receive_message(visibility_timeout=30)
    queue.update_message(msg, visibility_timeout=0)
    got = queue.receive_message()
    assert got.content == "keep"
    assert got.dequeue_count == 2


def test_delete_wrong_receipt_and_missing(queue):
    """Delete Message with a wrong pop receipt fails (400 PopReceiptMismatch on Azurite, 404 on
    Azure); unknown message id -> 404 MessageNotFound; the message survives both."""
    queue.send_message("x")
    msg = queue.receive_message(visibility_timeout=1)
    with pytest.raises(HttpResponseError) as ei:
        queue.delete_message(msg.id, "AgAAAAMAAAAAAAAAAAAAAAAAAAA=")
    assert (ei.value.status_code, ei.value.error_code) in ((400, "PopReceiptMismatch"), (404, "MessageNotFound")), \
        sdk_error_desc(ei.value)
    with pytest.raises(ResourceNotFoundError) as ei:
        queue.delete_message("00000000-0000-0000-0000-000000000000", msg.pop_receipt)
    assert ei.value.error_code == "MessageNotFound", sdk_error_desc(ei.value)
    back = wait_until(lambda: queue.receive_message(), timeout=8, what="message to survive")
    assert back.id == msg.id


def test_clear_messages(queue):
    """Clear Messages removes visible and invisible messages."""
    for i in range(10):
        queue.send_message(str(i))
    queue.send_message("hidden", visibility_timeout=60)
    queue.receive_message(visibility_timeout=60)
    queue.clear_messages()
    assert queue.peek_messages() == []
    assert queue.get_queue_properties().approximate_message_count == 0


def test_message_size_limit(queue):
    """A 64 KiB message is accepted; 64 KiB + 1 byte is refused (413 RequestBodyTooLarge on
    Azure/Azurite; 400 MessageTooLarge on legacy Azurite) and nothing is enqueued."""
    queue.send_message("a" * 65536)
    assert len(queue.receive_message().content) == 65536
    queue.clear_messages()
    with pytest.raises(HttpResponseError) as ei:
        queue.send_message("b" * 65537)
    assert (ei.value.status_code, ei.value.error_code) in ((413, "RequestBodyTooLarge"), (400, "MessageTooLarge")), \
        sdk_error_desc(ei.value)
    # multi-byte characters count as UTF-8 bytes: 21846 x 3 bytes = 65538 bytes > 64 KiB
    with pytest.raises(HttpResponseError) as ei:
        queue.send_message("€" * 21846)
    assert ei.value.status_code in (400, 413), sdk_error_desc(ei.value)
    assert queue.peek_messages() == []


def test_queue_sas(devstore, queue):
    """generate_queue_sas (add+process) lets QueueClient.from_queue_url send and receive; a
    read-only SAS can peek but not send (403 AuthorizationPermissionMismatch)."""
    exp = datetime.now(timezone.utc) + timedelta(hours=1)
    sas = generate_queue_sas(devstore.account_name, queue.queue_name, devstore.account_key,
                             permission=QueueSasPermissions(read=True, add=True, update=True, process=True),
                             expiry=exp)
    qc = QueueClient.from_queue_url(queue.url + "?" + sas, **NO_RETRY)
    qc.send_message("via sas")
    m = qc.receive_message(visibility_timeout=30)
    assert m.content == "via sas"
    qc.update_message(m, visibility_timeout=0)
    ro_sas = generate_queue_sas(devstore.account_name, queue.queue_name, devstore.account_key,
                                permission=QueueSasPermissions(read=True), expiry=exp)
    ro = QueueClient.from_queue_url(queue.url + "?" + ro_sas, **NO_RETRY)
    assert [x.content for x in ro.peek_messages()] == ["via sas"]
    with pytest.raises(HttpResponseError) as ei:
        ro.send_message("nope")
    assert ei.value.status_code == 403 and ei.value.error_code == "AuthorizationPermissionMismatch", \
        sdk_error_desc(ei.value)
    expired = generate_queue_sas(devstore.account_name, queue.queue_name, devstore.account_key,
                                 permission=QueueSasPermissions(read=True),
                                 start=datetime.now(timezone.utc) - timedelta(hours=2),
                                 expiry=datetime.now(timezone.utc) - timedelta(hours=1))
    with pytest.raises(ClientAuthenticationError) as ei:
        QueueClient.from_queue_url(queue.url + "?" + expired, **NO_RETRY).peek_messages()
    assert ei.value.error_code == "AuthenticationFailed", sdk_error_desc(ei.value)


def test_wrong_key_rejected(devstore):
    """Shared Key with a wrong key -> 403 AuthenticationFailed on the queue service."""
    svc = QueueServiceClient(devstore.queue_endpoint,
                             credential={"account_name": devstore.account_name, "account_key": random_key()},
                             **NO_RETRY)
    with pytest.raises(ClientAuthenticationError) as ei:
        list(svc.list_queues())
    assert ei.value.error_code == "AuthenticationFailed", sdk_error_desc(ei.value)


def test_anonymous_queue_access_refused(devstore, queue):
    """Without credentials, queue messages can be neither read nor written, nor queues listed."""
    queue.send_message("private")
    s, h, b = raw_request("GET", queue.url + "/messages?peekonly=true")
    assert s in (401, 403, 404) and b"private" not in b, (s, b[:200])
    assert h.get("x-ms-error-code"), f"no x-ms-error-code (status {s})"
    s, _, b = raw_request("POST", queue.url + "/messages",
                          "<QueueMessage><MessageText>x</MessageText></QueueMessage>")
    assert s in (401, 403, 404), (s, b[:200])
    s, _, b = raw_request("GET", devstore.queue_endpoint + "?comp=list")
    assert s in (401, 403, 404), (s, b[:200])
    assert queue.get_queue_properties().approximate_message_count == 1


def test_concurrent_receivers_get_each_message_once(devstore, queue):
    """8 clients receiving in parallel (visibility 60 s) never get the same message twice and
    together get all 200."""
    for i in range(200):
        queue.send_message(f"c-{i:03d}")
    got = collections.Counter()
    lock = threading.Lock()

    def worker():
        qc = devstore.queue_service().get_queue_client(queue.queue_name)
        while True:
            page = _first_page(qc, messages_per_page=7, visibility_timeout=60)
            if not page:
                return
            with lock:
                got.update(m.content for m in page)

    with ThreadPoolExecutor(8) as ex:
        for f in [ex.submit(worker) for _ in range(8)]:
            f.result()
    dups = sorted(k for k, v in got.items() if v > 1)
    assert not dups, f"delivered twice within the visibility timeout: {dups[:10]}"
    assert sorted(got) == [f"c-{i:03d}" for i in range(200)]


def test_older_api_version_client(devstore):
    """A queue client pinned to x-ms-version 2019-02-02 sends, receives, updates and deletes."""
    qs = devstore.queue_service(api_version="2019-02-02")
    q = qs.create_queue(unique("old"))
    q.send_message("old-version")
    m = q.receive_message(visibility_timeout=30)
    assert m.content == "old-version"
    m2 = q.update_message(m, content="updated", visibility_timeout=0)
    m3 = q.receive_message()
    assert m3.content == "updated" and m3.dequeue_count == 2
    q.delete_message(m3)
    assert m2.pop_receipt != m.pop_receipt
    q.delete_queue()
