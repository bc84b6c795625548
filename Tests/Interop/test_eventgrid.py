"""Event Grid emulation: blobs committed in a subscribed container produce exactly one
Microsoft.Storage.BlobCreated event per commit in the subscribed queue, in the configured schema
and encoding, decodable by Microsoft's azure-eventgrid / azure-core models."""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridEvent
from azure.storage.blob import BlobClient, ContainerSasPermissions, ContentSettings, generate_container_sas

from support import (
    DEV_TOPIC,
    NO_RETRY,
    azcopy_failure_detail,
    decode_event_message,
    drain_queue,
    run_azcopy,
    unique,
)

EVENTS_QUEUE = "blobflow-events"
INPUT = "input"


class Capture:
    """raw_response_hook that records (method, url, request headers, response headers)."""

    def __init__(self):
        self.calls = []

    def __call__(self, response):
        req = response.http_request
        self.calls.append((req.method, req.url, dict(req.headers), dict(response.http_response.headers)))

    def last_commit(self):
        """The request that committed the blob: the last PUT that is not a Put Block."""
        for method, url, rq, rs in reversed(self.calls):
            if method == "PUT" and "comp=block&" not in url + "&":
                return rq, rs
        raise AssertionError(f"no commit request captured: {[c[:2] for c in self.calls]}")


@pytest.fixture(scope="module")
def blobs(devstore):
    return devstore.blob_service()


@pytest.fixture(scope="module")
def events_queue(devstore):
    q = devstore.queue_service().get_queue_client(EVENTS_QUEUE)
    return q


@pytest.fixture
def clean_events(events_queue):
    """Empty the events queue before the test (earlier tests' events must not interfere)."""
    drain_queue(events_queue, settle=0.5, timeout=5)
    return events_queue


def _events_for(messages, container: str, prefix: str):
    """Decode messages; return [(event, encoding, message)] whose subject is under container/prefix."""
    out = []
    for m in messages:
        ev, enc = decode_event_message(m.content)
        assert isinstance(ev, dict), f"event message is not a single JSON object: {m.content[:200]!r}"
        if ev.get("subject", "").startswith(f"/blobServices/default/containers/{container}/blobs/{prefix}"):
            out.append((ev, enc, m))
    return out


def _parse_time(s: str) -> datetime:
    s = s.rstrip("Z")
    if "." in s:
        head, frac = s.split(".", 1)
        s = head + "." + frac[:6]
    return datetime.fromisoformat(s)


def check_event_grid_event(ev: dict, blob_client, api: str, capture: Capture | None = None):
    """Every field of an EventGridSchema BlobCreated event, against the blob's real properties."""
    props = blob_client.get_blob_properties()
    container, name = blob_client.container_name, blob_client.blob_name
    assert set(ev) >= {"topic", "subject", "eventType", "eventTime", "id", "data", "dataVersion",
                       "metadataVersion"}, sorted(ev)
    assert ev["topic"] == DEV_TOPIC
    assert ev["subject"] == f"/blobServices/default/containers/{container}/blobs/{name}"
    assert ev["eventType"] == "Microsoft.Storage.BlobCreated"
    assert ev["dataVersion"] == ""
    assert ev["metadataVersion"] == "1"
    assert isinstance(ev["id"], str) and ev["id"]
    _parse_time(ev["eventTime"])
    check_data(ev["data"], blob_client, props, api, capture)
    # Microsoft's model accepts it.
    model = EventGridEvent.from_dict(ev)
    assert model.event_type == "Microsoft.Storage.BlobCreated"
    assert model.subject == ev["subject"]
    assert model.data["api"] == api


def check_data(d: dict, blob_client, props, api: str, capture: Capture | None):
    assert set(d) >= {"api", "clientRequestId", "requestId", "eTag", "contentType", "contentLength",
                      "blobType", "url", "sequencer", "storageDiagnostics"}, sorted(d)
    assert d["api"] == api
    assert d["eTag"].strip('"') == props.etag.strip('"'), (d["eTag"], props.etag)
    assert d["contentType"] == props.content_settings.content_type
    assert type(d["contentLength"]) is int and d["contentLength"] == props.size
    assert d["blobType"] == "BlockBlob"
    assert urllib.parse.unquote(d["url"]) == urllib.parse.unquote(blob_client.url), (d["url"], blob_client.url)
    assert isinstance(d["sequencer"], str) and d["sequencer"]
    assert isinstance(d["storageDiagnostics"], dict) and d["storageDiagnostics"].get("batchId")
    if capture is not None:
        rq, rs = capture.last_commit()
        assert d["clientRequestId"] == rq.get("x-ms-client-request-id"), (d["clientRequestId"], rq)
        assert d["requestId"] == rs.get("x-ms-request-id"), (d["requestId"], rs)


# --------------------------------------------------------------------------- default subscription
def test_default_subscription_resources_exist(devstore, blobs, events_queue):
    """The default subscription created container `input` and queue `blobflow-events` at start."""
    assert blobs.get_container_client(INPUT).exists()
    events_queue.get_queue_properties()


def test_put_blob_event(blobs, clean_events):
    """Single-shot Put Blob into `input` -> exactly one base64 EventGridSchema event, api PutBlob,
    every field matching the blob (eTag, contentLength, contentType, url, request ids)."""
    p = unique("pb") + "/"
    b = blobs.get_blob_client(INPUT, p + "dir/new file.txt")
    cap = Capture()
    b.upload_blob(b"hello events" * 10, content_settings=ContentSettings(content_type="text/plain"),
                  raw_response_hook=cap)
    evs = _events_for(drain_queue(clean_events, expect=1, settle=1.5), INPUT, p)
    assert len(evs) == 1, [e for e, _, _ in evs]
    ev, enc, _ = evs[0]
    assert enc == "base64"
    check_event_grid_event(ev, b, "PutBlob", cap)


def test_put_block_list_event(devstore, clean_events):
    """Chunked upload (Put Block x N + Put Block List) -> exactly one event, api PutBlockList, no
    event for the staged blocks."""
    svc = devstore.blob_service(max_single_put_size=32 * 1024, max_block_size=32 * 1024)
    p = unique("pbl") + "/"
    b = svc.get_blob_client(INPUT, p + "big.bin")
    cap = Capture()
    data = os.urandom(100_000)
    b.upload_blob(data, content_settings=ContentSettings(content_type="application/octet-stream"),
                  raw_response_hook=cap)
    evs = _events_for(drain_queue(clean_events, expect=1, settle=1.5), INPUT, p)
    assert len(evs) == 1, [e for e, _, _ in evs]
    ev, enc, _ = evs[0]
    assert enc == "base64"
    check_event_grid_event(ev, b, "PutBlockList", cap)
    assert ev["data"]["contentLength"] == 100_000


def test_copy_blob_event(blobs, clean_events):
    """Copy Blob from another container into `input` -> one CopyBlob event for the destination and
    none for the source (another container)."""
    p = unique("cp") + "/"
    src_c = blobs.create_container(unique("evsrc"))
    try:
        src = src_c.get_blob_client(p + "source.json")
        src.upload_blob(b'{"a": 1}', content_settings=ContentSettings(content_type="application/json"))
        dst = blobs.get_blob_client(INPUT, p + "copied.json")
        cap = Capture()
        dst.start_copy_from_url(src.url, raw_response_hook=cap)
        deadline = time.monotonic() + 20
        while dst.get_blob_properties().copy.status == "pending" and time.monotonic() < deadline:
            time.sleep(0.2)
        msgs = drain_queue(clean_events, expect=1, settle=1.5)
        assert _events_for(msgs, src_c.container_name, "") == []
        evs = _events_for(msgs, INPUT, p)
        assert len(evs) == 1, [e for e, _, _ in evs]
        check_event_grid_event(evs[0][0], dst, "CopyBlob", cap)
        assert evs[0][0]["data"]["contentType"] == "application/json"
    finally:
        src_c.delete_container()


def test_one_event_per_commit_only(devstore, blobs, clean_events):
    """Only commits raise events: overwrite -> a second event with a later sequencer; metadata,
    properties, reads, staged-but-uncommitted blocks and deletes -> none."""
    p = unique("only") + "/"
    b = blobs.get_blob_client(INPUT, p + "x.txt")
    b.upload_blob(b"one")
    b.upload_blob(b"two!", overwrite=True)
    b.set_blob_metadata({"k": "v"})
    b.set_http_headers(ContentSettings(content_type="text/x-changed"))
    b.download_blob().readall()
    staged = blobs.get_blob_client(INPUT, p + "staged-only")
    staged.stage_block("YmxrMDAx", b"data")
    doomed = blobs.get_blob_client(INPUT, p + "deleted.txt")
    doomed.upload_blob(b"bye")
    doomed.delete_blob()
    evs = _events_for(drain_queue(clean_events, expect=3, settle=2.0), INPUT, p)
    subjects = [e["subject"].rsplit("/", 1)[-1] for e, _, _ in evs]
    assert sorted(subjects) == ["deleted.txt", "x.txt", "x.txt"], subjects
    xs = [e for e, _, _ in evs if e["subject"].endswith("/x.txt")]
    assert all(e["eventType"] == "Microsoft.Storage.BlobCreated" for e, _, _ in evs)
    assert [e["data"]["contentLength"] for e in xs] in ([3, 4], [4, 3])
    first, second = sorted(xs, key=lambda e: e["data"]["contentLength"])
    assert first["data"]["sequencer"] < second["data"]["sequencer"], "sequencer must grow per blob"
    assert first["id"] != second["id"]
    assert first["data"]["eTag"] != second["data"]["eTag"]


def test_other_container_makes_no_event(blobs, clean_events):
    """Blobs committed in a container without a subscription raise nothing."""
    c = blobs.create_container(unique("quiet"))
    try:
        c.upload_blob("a.txt", b"x")
        c.upload_blob("input/b.txt", b"y")
        assert drain_queue(clean_events, settle=1.5, timeout=5) == []
    finally:
        c.delete_container()


def test_many_commits_many_events(blobs, clean_events):
    """20 uploads -> 20 events, each subject once, each id unique."""
    p = unique("many") + "/"
    names = [f"{p}f{i:02d}.txt" for i in range(20)]
    for n in names:
        blobs.get_blob_client(INPUT, n).upload_blob(n.encode())
    evs = _events_for(drain_queue(clean_events, expect=20, settle=1.5, timeout=20), INPUT, p)
    subjects = sorted(e["subject"] for e, _, _ in evs)
    assert subjects == sorted(f"/blobServices/default/containers/{INPUT}/blobs/{n}" for n in names)
    assert len({e["id"] for e, _, _ in evs}) == 20


# --------------------------------------------------------------------------- custom subscriptions
CUSTOM = ("container=photos,queue=photo-events,schema=CloudEventSchemaV1_0,encoding=text,"
          "prefix=raw/,suffix=.jpg,ttl=-1")


def test_custom_cloudevents_subscription(devstore_factory):
    """--subscription with CloudEvents 1.0, text encoding, prefix/suffix filters and ttl=-1:
    only raw/*.jpg events arrive, as plain JSON CloudEvents that never expire; the default
    subscription still works alongside it."""
    store = devstore_factory(args=["--subscription", CUSTOM])
    blobs = store.blob_service()
    qs = store.queue_service()
    photo_q = qs.get_queue_client("photo-events")
    photo_q.get_queue_properties()  # created at start
    assert blobs.get_container_client("photos").exists()

    match = blobs.get_blob_client("photos", "raw/cat 1.jpg")
    cap = Capture()
    match.upload_blob(b"\xff\xd8jpeg", content_settings=ContentSettings(content_type="image/jpeg"),
                      raw_response_hook=cap)
    blobs.get_blob_client("photos", "raw/cat.png").upload_blob(b"png")
    blobs.get_blob_client("photos", "cooked/cat.jpg").upload_blob(b"jpg")
    blobs.get_blob_client("photos", "raw/cat.jpg.bak").upload_blob(b"bak")
    blobs.get_blob_client("photos", "rawx/cat.jpg").upload_blob(b"x")

    msgs = drain_queue(photo_q, expect=1, settle=1.5)
    assert len(msgs) == 1, [m.content[:120] for m in msgs]
    m = msgs[0]
    assert m.content.lstrip().startswith("{"), f"encoding=text must give plain JSON: {m.content[:80]!r}"
    assert m.expires_on.year == 9999, f"ttl=-1 must never expire, got {m.expires_on}"
    ev = json.loads(m.content)
    assert ev["specversion"] == "1.0"
    assert ev["type"] == "Microsoft.Storage.BlobCreated"
    assert ev["source"] == DEV_TOPIC
    assert ev["subject"] == "/blobServices/default/containers/photos/blobs/raw/cat 1.jpg"
    assert ev["id"] and ev["time"]
    _parse_time(ev["time"])
    assert "dataVersion" not in ev and "eventType" not in ev
    check_data(ev["data"], match, match.get_blob_properties(), "PutBlob", cap)
    ce = CloudEvent.from_dict(ev)
    assert ce.type == "Microsoft.Storage.BlobCreated" and ce.source == DEV_TOPIC
    assert ce.data["api"] == "PutBlob"

    # The default subscription is still active.
    blobs.get_blob_client(INPUT, "still-default.txt").upload_blob(b"d")
    default_msgs = drain_queue(qs.get_queue_client(EVENTS_QUEUE), expect=1, settle=1.0)
    assert len(default_msgs) == 1
    ev2, enc2 = decode_event_message(default_msgs[0].content)
    assert enc2 == "base64" and ev2["subject"].endswith("/input/blobs/still-default.txt")


def test_no_default_subscription(devstore_factory):
    """--no-default-subscription: no `blobflow-events` queue, and commits to `input` (if created
    by hand) raise nothing; a --subscription with only container/queue uses the defaults
    (EventGridSchema, base64)."""
    store = devstore_factory(args=["--no-default-subscription", "--subscription", "container=in2,queue=ev2"])
    blobs = store.blob_service()
    qs = store.queue_service()
    assert "blobflow-events" not in [q.name for q in qs.list_queues()]
    blobs.create_container("input").upload_blob("a.txt", b"a")
    assert "blobflow-events" not in [q.name for q in qs.list_queues()]
    b = blobs.get_blob_client("in2", "doc.txt")
    b.upload_blob(b"doc")
    msgs = drain_queue(qs.get_queue_client("ev2"), expect=1, settle=1.0)
    assert len(msgs) == 1
    ev, enc = decode_event_message(msgs[0].content)
    assert enc == "base64"
    check_event_grid_event(ev, b, "PutBlob")


@pytest.mark.slow
def test_azcopy_upload_raises_events(devstore, clean_events, tmp_path):
    """azcopy uploading a folder into `input` raises one event per file: PutBlob for small files
    (including an empty one), PutBlockList for a file above azcopy's 8 MiB block size."""
    p = unique("azev")
    src = tmp_path / p
    src.mkdir()
    (src / "small.txt").write_bytes(b"small")
    (src / "empty.dat").write_bytes(b"")
    (src / "big.bin").write_bytes(os.urandom(8 * 1024 * 1024 + 1))
    sas = generate_container_sas(devstore.account_name, INPUT, account_key=devstore.account_key,
                                 permission=ContainerSasPermissions(read=True, write=True, list=True,
                                                                    create=True, add=True),
                                 expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    proc, summary = run_azcopy(["copy", str(src), f"{devstore.blob_endpoint}/{INPUT}?{sas}",
                                "--from-to", "LocalBlob", "--recursive"], tmp_path)
    assert summary.get("JobStatus") == "Completed", azcopy_failure_detail(proc, tmp_path)
    evs = _events_for(drain_queue(clean_events, expect=3, settle=1.5), INPUT, p + "/")
    got = sorted((e["subject"].rsplit("/", 1)[-1], e["data"]["api"], e["data"]["contentLength"])
                 for e, _, _ in evs)
    assert got == [("big.bin", "PutBlockList", 8 * 1024 * 1024 + 1), ("empty.dat", "PutBlob", 0),
                   ("small.txt", "PutBlob", 5)]


def test_several_subscriptions_on_one_container(devstore_factory):
    """Repeated --subscription flags for the same container fan out: each queue gets its own copy
    of the event in its own schema (same event id is allowed, one message per queue)."""
    store = devstore_factory(args=["--subscription", "container=input,queue=second-q",
                                   "--subscription", "container=input,queue=third-q,schema=CloudEventSchemaV1_0,encoding=text"])
    b = store.blob_service().get_blob_client(INPUT, "fan/out.txt")
    b.upload_blob(b"fan-out")
    qs = store.queue_service()
    per_queue = {}
    for name in (EVENTS_QUEUE, "second-q", "third-q"):
        msgs = drain_queue(qs.get_queue_client(name), expect=1, settle=1.0)
        per_queue[name] = [decode_event_message(m.content) for m in msgs]
    assert {k: len(v) for k, v in per_queue.items()} == {EVENTS_QUEUE: 1, "second-q": 1, "third-q": 1}
    (eg1, enc1), = per_queue[EVENTS_QUEUE]
    (eg2, enc2), = per_queue["second-q"]
    (ce, enc3), = per_queue["third-q"]
    assert (enc1, enc2, enc3) == ("base64", "base64", "text")
    check_event_grid_event(eg1, b, "PutBlob")
    check_event_grid_event(eg2, b, "PutBlob")
    assert ce["specversion"] == "1.0" and ce["subject"] == eg1["subject"]
    assert ce["data"]["eTag"] == eg1["data"]["eTag"]


def test_event_url_is_usable(devstore, blobs, clean_events):
    """Consumers open data.url with BlobClient.from_blob_url (the pattern in Azure's samples): the
    url of a blob whose name has a space, '#', '%', '?' or unicode must lead back to that blob
    (i.e. it is percent-encoded), while `subject` carries the plain name."""
    p = unique("url") + "/"
    names = [p + "a b.txt", p + "hash#1.txt", p + "pct%41.txt", p + "q?x.txt", p + "ü/日本.txt"]
    for n in names:
        blobs.get_blob_client(INPUT, n).upload_blob(n.encode())
    evs = _events_for(drain_queue(clean_events, expect=len(names), settle=1.0), INPUT, p)
    assert sorted(e["subject"] for e, _, _ in evs) == sorted(
        f"/blobServices/default/containers/{INPUT}/blobs/{n}" for n in names)
    cred = {"account_name": devstore.account_name, "account_key": devstore.account_key}
    for e, _, _ in evs:
        url = e["data"]["url"]
        assert " " not in url, f"url is not percent-encoded: {url!r}"
        client = BlobClient.from_blob_url(url, credential=cred, **NO_RETRY)
        name = e["subject"].split("/blobs/", 1)[1]
        assert client.blob_name == name, (url, client.blob_name)
        assert client.download_blob().readall() == name.encode(), url
