"""Acceptance tests for `blobflow run`, the consumer: Event Grid BlobCreated events on a Storage
Queue (raised by the devstore's Event Grid emulation when the Azure SDK uploads into `input`)
become one run of an app per blob version, with its outputs, a log and a manifest in `output`,
through duplicates, crashes, replicas, poison messages, long jobs, shutdowns and faults.

Each test has its own devstore and its own checkpoint folder (see consumer_support.Harness). The
app is a small /bin/sh script that logs every run to a shared file, so "processed exactly once"
is counted by the app itself, independently of blobflow's own bookkeeping.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from consumer_support import (
    APP_OUTPUTS,
    INPUT,
    LOG_BLOB,
    MANIFEST_BLOB,
    POISON_QUEUE,
    WORK_QUEUE,
    Harness,
    account_of,
    decode_event,
    md5_b64,
    process_running,
)
from support import DEV_TOPIC, make_account_sas

LEVELS = {"trace", "debug", "info", "notice", "warning", "error", "critical"}


@pytest.fixture
def harness(devstore_factory, tmp_path):
    h = Harness(devstore_factory(), tmp_path / "h")
    yield h
    h.stop_all()


def _data(rng: random.Random, size: int) -> bytes:
    return rng.randbytes(size)


def _assert_clean_end(h: Harness, names) -> None:
    """The common end state: every blob completed, both queues empty, nothing set aside."""
    names = set(names)
    recs = h.records_by_name()
    assert set(recs) >= names
    not_done = {n: [r.get("step") for r in recs[n]] for n in names if any(r.get("step") != "completed" for r in recs[n])}
    assert not not_done, f"records not completed: {dict(list(not_done.items())[:5])}"
    assert h.corrupt_files() == [], f"files moved to corrupt/: {h.corrupt_files()[:10]}"
    assert h.queue_depth(WORK_QUEUE) == 0, "work queue not empty"
    assert h.queue_depth(POISON_QUEUE) == 0, "poison queue not empty"


# ----------------------------------------------------------------------------------------- 1
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_end_to_end_twenty_blobs(harness):
    """20 SDK uploads (sub-folders, spaces, non-ASCII, an empty file, a 3 MiB file) -> each
    processed exactly once; outputs, _blobflow.log and _manifest.json (md5s and sizes of what the
    app wrote) under output/NAME/; the app saw consistent arguments; queues empty; no claim or
    staging file left; the daemon exits 0 by itself with BLOBFLOW_EXIT_WHEN_IDLE."""
    h = harness
    rng = random.Random(1)
    names = [f"e2e/file-{i:02d}.txt" for i in range(14)] + [
        "top-level.txt",
        "a/b/c/deep.bin",
        "with space/name with spaces.txt",
        "unicode/Ünïcødé 文件 ñ (1).txt",
        "sizes/empty.txt",
        "sizes/big.bin",
    ]
    files = {n: _data(rng, rng.randint(1, 40_000)) for n in names}
    files["sizes/empty.txt"] = b""
    files["sizes/big.bin"] = _data(rng, 3 * 1024 * 1024 + 17)
    h.upload(files, threads=4)
    h.wait_for(lambda: h.queue_depth(WORK_QUEUE) >= 20, 20, "20 events on the work queue")

    c = h.consumer(CONCURRENCY=4, EXIT_WHEN_IDLE="3s")
    rc = c.wait(180)
    assert rc == 0, f"exit {rc}\n{c.tail()}"

    starts, ends = h.runs("start"), h.runs("end")
    assert {n: len(v) for n, v in starts.items()} == {n: 1 for n in names}, "each blob run exactly once"
    assert set(ends) == set(names)
    assert h.app_problems() == [], h.app_problems()
    for n, (line,) in starts.items():
        assert line.event_id, f"{n}: BLOBFLOW_EVENT_ID empty"

    _assert_clean_end(h, names)
    for n, recs in h.records_by_name().items():
        assert len(recs) == 1 and recs[0]["attempts"] == 1, (n, recs)
        assert recs[0]["eventID"] == starts[n][0].event_id, "event id given to the app = the checkpoint's"
        assert sorted(o["name"] for o in recs[0]["outputs"]) == sorted(
            f"{n}/{rel}" for rel in (*APP_OUTPUTS, LOG_BLOB, MANIFEST_BLOB)), recs[0]["outputs"]

    listing = h.output_listing()
    assert len(listing) == 4 * len(names), sorted(listing)[:50]
    for n, data in files.items():
        m = h.check_outputs(n, data, listing, download=True)
        assert m["source"]["eventId"] == starts[n][0].event_id and m["attempt"] == 1, m
        log = h.download_output(f"{n}/{LOG_BLOB}").decode("utf-8", "replace")
        assert f"processing {n}" in log, f"_blobflow.log of {n!r} lacks the app's stdout: {log[:300]!r}"
    assert h.dead_letters() == []
    leftover_claims = list((h.checkpoints / "claims").glob("*.claim"))
    assert leftover_claims == [], f"claims left after completion: {leftover_claims[:5]}"
    work = h.root / "work-r1"
    leftovers = [p for p in work.rglob("*") if p.is_file()] if work.exists() else []
    assert leftovers == [], f"staging files left after completion: {leftovers[:5]}"

    assert any("empty" in m for m in c.messages("info")), "no idle-exit message"


@pytest.mark.timeout(90)
def test_status_json(harness):
    """After a run with one completed blob and one rejected (exit 65): `blobflow status --json`
    gives both queue depths and the checkpoint counts."""
    h = harness
    h.upload({"st/ok.txt": b"ok", "st/fail.txt": b"no"}, threads=1)
    h.set_app(fail_pattern="fail", fail_code=65)
    c = h.consumer(EXIT_WHEN_IDLE="3s")
    assert c.wait(60) == 0, c.tail()
    p = h.cli("status", "--json")
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    try:
        st = json.loads(p.stdout)
    except ValueError:
        pytest.fail(f"`blobflow status --json` did not print JSON:\n{p.stdout.decode(errors='replace')[:400]}")
    assert st["queue"]["name"] == WORK_QUEUE and st["queue"]["approximateMessageCount"] == 0, st["queue"]
    assert st["poisonQueue"]["name"] == POISON_QUEUE and st["poisonQueue"]["approximateMessageCount"] == 1, st
    cp = st["checkpoints"]
    assert cp["byStep"]["completed"] == 1 and cp["byStep"]["dead-lettered"] == 1 and cp["total"] == 2, cp
    assert cp["unreadable"] == 0 and cp["deadLetterRecords"] == 1 and cp["activeClaims"] == 0, cp
    assert [f["blob"] for f in st["recentFailures"]] == [f"{INPUT}/st/fail.txt"], st["recentFailures"]


# ----------------------------------------------------------------------------------------- 2
def _adls_event(api: str, store, name: str, etag: str, length: int) -> dict:
    """A BlobCreated event as Event Grid writes it for an ADLS Gen2 (hierarchical namespace) upload."""
    url = f"{store.blob_endpoint}/{INPUT}/{urllib.parse.quote(name)}"
    return {
        "topic": DEV_TOPIC,
        "subject": f"/blobServices/default/containers/{INPUT}/blobs/{name}",
        "eventType": "Microsoft.Storage.BlobCreated",
        "id": str(uuid.uuid4()),
        "data": {
            "api": api,
            "clientRequestId": str(uuid.uuid4()),
            "requestId": str(uuid.uuid4()),
            "eTag": etag,
            "contentType": "application/octet-stream",
            "contentLength": length,
            "contentOffset": 0,
            "blobType": "BlockBlob",
            "blobUrl": url,
            "url": url,
            "sequencer": f"{int(time.time() * 1000):032x}",
            "identity": "$superuser",
            "storageDiagnostics": {"batchId": str(uuid.uuid4())},
        },
        "dataVersion": "3",
        "metadataVersion": "1",
        "eventTime": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
    }


@pytest.mark.timeout(120)
def test_duplicate_events_processed_once(harness):
    """The same event message 3 times, plus an ADLS Gen2 pair for another blob (CreateFile, which
    is skipped, and FlushWithClose with the real eTag) -> each blob processed exactly once, the
    CreateFile event skipped, every message acknowledged."""
    h = harness
    store = h.store
    a, b = "dup/a.txt", "dup/b.bin"
    files = {a: b"A" * 1000, b: os.urandom(5000)}
    etags = h.upload(files, threads=1)
    texts = [m.content for m in _drain(h.work_queue(), 2)]
    a_text = next(t for t in texts if decode_event(t)["subject"].endswith("/" + a))

    q = h.work_queue()
    for _ in range(3):
        q.send_message(a_text)
    etag = etags[b].strip('"')
    create = _adls_event("CreateFile", store, b, etag, 0)
    flush = _adls_event("FlushWithClose", store, b, etag, len(files[b]))
    q.send_message(base64.b64encode(json.dumps(create).encode()).decode())
    q.send_message(base64.b64encode(json.dumps(flush).encode()).decode())

    c = h.consumer(CONCURRENCY=4, VISIBILITY_TIMEOUT=10)
    h.wait_completed([a, b], 60, running=[c])
    h.wait_for(lambda: h.queue_depth(WORK_QUEUE) == 0, 45, "every duplicate acknowledged", running=[c])
    c.stop()

    starts = h.runs("start")
    assert {n: len(v) for n, v in starts.items()} == {a: 1, b: 1}
    _assert_clean_end(h, [a, b])
    recs = h.records_by_name()
    assert recs[b][0]["eventID"] == flush["id"], "the FlushWithClose event did the work"
    assert starts[b][0].event_id == flush["id"]
    assert all(r[0]["attempts"] == 1 for r in recs.values()), recs
    skipped = [r for r in c.log_records() if r.get("event_id") == create["id"] or create["id"] in json.dumps(r)]
    assert skipped and any("skip" in r.get("message", "") for r in skipped), f"CreateFile not logged as skipped: {skipped}"
    listing = h.output_listing()
    for n, data in files.items():
        h.check_outputs(n, data, listing)
    assert h.dead_letters() == []


def _drain(q, expect: int):
    from support import drain_queue
    msgs = drain_queue(q, settle=0.5, timeout=20, expect=expect)
    assert len(msgs) == expect, [m.content[:80] for m in msgs]
    return msgs


# ----------------------------------------------------------------------------------------- 3
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_kill_9_at_random_moments(harness):
    """200 blobs, app sleeping 0-0.3 s, concurrency 8, visibility 10 s; the daemon (and any app it
    left running) is SIGKILLed at random moments 5 times and restarted each time -> every blob
    ends completed with exactly its outputs and one manifest, nothing in corrupt/, no dead letter,
    both queues empty."""
    h = harness
    rng = random.Random(3)
    names = [f"crash/f-{i:03d}.dat" for i in range(200)]
    files = {n: _data(rng, rng.randint(10, 3000)) for n in names}
    h.upload(files)
    h.wait_for(lambda: h.queue_depth(WORK_QUEUE) >= 200, 30, "200 events")
    h.set_app(sleep="random:0.3")
    settings = dict(CONCURRENCY=8, VISIBILITY_TIMEOUT=10)

    kills_mid_work = 0
    for i in range(5):
        c = h.consumer(**settings)
        time.sleep(rng.uniform(1.0, 3.0))
        assert c.alive(), c.tail()
        if len(h.completed_names()) < len(names):
            kills_mid_work += 1
        c.kill9()
        h.kill_orphan_apps()
    assert kills_mid_work >= 4, f"only {kills_mid_work} kills happened while work remained"

    final = h.consumer(**settings)
    h.wait_completed(names, 200, running=[final])
    h.wait_for(lambda: h.queue_depth(WORK_QUEUE) == 0, 60, "work queue empty", running=[final])
    final.stop()

    _assert_clean_end(h, names)
    assert h.dead_letters() == []
    unreadable = [r for r in h.records() if "_unreadable" in r]
    assert unreadable == []
    listing = h.output_listing()
    assert len(listing) == 4 * len(names), f"{len(listing)} output blobs (expected {4 * len(names)})"
    for n, data in files.items():
        h.check_outputs(n, data, listing)
    assert h.app_problems() == [], h.app_problems()[:5]
    reruns = sum(1 for v in h.runs("start").values() if len(v) > 1)
    print(f"\n[crash] {kills_mid_work} kills; {reruns} blobs ran more than once (allowed after a crash)")


# ----------------------------------------------------------------------------------------- 4
@pytest.mark.slow
@pytest.mark.timeout(400)
def test_two_replicas_share_the_work(harness):
    """Two replicas sharing one checkpoint folder consume 500 events: every blob processed exactly
    once (by the app's own log), both replicas worked, every record completed by the replica the
    app ran under."""
    h = harness
    names = [f"rep/{i // 100}/f-{i:03d}.txt" for i in range(500)]
    files = {n: f"content of {n}\n".encode() for n in names}
    h.upload(files, threads=8)
    h.wait_for(lambda: h.queue_depth(WORK_QUEUE) >= 500, 60, "500 events")

    r1 = h.consumer("r1", CONCURRENCY=4)
    r2 = h.consumer("r2", CONCURRENCY=4)
    h.wait_completed(names, 330, running=[r1, r2])
    h.wait_for(lambda: h.queue_depth(WORK_QUEUE) == 0, 60, "work queue empty", running=[r1, r2])
    r1.stop()
    r2.stop()

    starts = h.runs("start")
    twice = {n: [(l.replica, l.pid) for l in v] for n, v in starts.items() if len(v) != 1}
    assert not twice, f"{len(twice)} blobs processed more than once: {dict(list(twice.items())[:5])}"
    assert set(starts) == set(names)
    per_replica = {}
    for n, (line,) in starts.items():
        per_replica[line.replica] = per_replica.get(line.replica, 0) + 1
    assert set(per_replica) == {"r1", "r2"}, per_replica
    _assert_clean_end(h, names)
    for n, recs in h.records_by_name().items():
        assert recs[0]["replicaID"] == starts[n][0].replica, (n, recs[0]["replicaID"], starts[n][0].replica)
    listing = h.output_listing()
    assert len(listing) == 4 * len(names)
    for n in names[::25]:
        h.check_outputs(n, files[n], listing)
    print(f"\n[replicas] blobs per replica: {per_replica}")


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_three_replicas_take_over_expired_claims(harness):
    """Three replicas on one checkpoint folder consume 300 events (app sleeping up to 0.3 s,
    visibility 10 s); one of them is SIGKILLed mid-work, leaving claims that nobody releases. The
    other two take those claims over once they expire: every blob completes with its outputs, the
    only blobs run twice are ones the killed replica had started, and nothing is lost or set aside."""
    h = harness
    names = [f"three/f-{i:03d}.txt" for i in range(300)]
    files = {n: f"content of {n}\n".encode() for n in names}
    h.upload(files, threads=8)
    h.wait_for(lambda: h.queue_depth(WORK_QUEUE) >= 300, 60, "300 events")
    h.set_app(sleep="random:0.3")
    settings = dict(CONCURRENCY=4, VISIBILITY_TIMEOUT=10)

    r1 = h.consumer("r1", **settings)
    r2 = h.consumer("r2", **settings)
    r3 = h.consumer("r3", **settings)
    h.wait_for(lambda: len(h.runs("start")) >= 40, 60, "work started", running=[r1, r2, r3])
    r3.kill9()  # its app runs may go on as orphans; they upload nothing
    h.wait_completed(names, 300, running=[r1, r2])
    h.wait_for(lambda: h.queue_depth(WORK_QUEUE) == 0, 60, "work queue empty", running=[r1, r2])
    r1.stop()
    r2.stop()

    starts = h.runs("start")
    assert set(starts) == set(names)
    r3_logs = [r for r in r3.log_records() if str(r.get("blob", "")).startswith("input/") and (r.get("step") or r.get("message") == "completed")]
    r3_seen = {r["blob"][len("input/"):] for r in r3_logs}
    r3_done = {r["blob"][len("input/"):] for r in r3_logs if r.get("message") == "completed"}
    killed_unfinished = (r3_seen - r3_done) | {n for n, v in starts.items() if any(l.replica == "r3" for l in v)}
    twice = {n for n, v in starts.items() if len(v) > 1}
    assert twice <= killed_unfinished, f"ran twice without a crash: {sorted(twice - killed_unfinished)[:5]}"
    taken_over = {n for n in killed_unfinished if any(l.replica in ("r1", "r2") for l in starts[n])}
    assert taken_over, "no claim of the killed replica was taken over"
    _assert_clean_end(h, names)
    assert h.dead_letters() == []
    listing = h.output_listing()
    assert len(listing) == 4 * len(names)
    for n in sorted(taken_over)[:20]:
        h.check_outputs(n, files[n], listing)
    print(f"\n[three replicas] {len(taken_over)} claims of the killed replica taken over; {len(twice)} blobs ran twice")


# ----------------------------------------------------------------------------------------- 5
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_poison_dead_letter_and_replay(harness):
    """An app failing (exit 1) on one blob: retried after 1 s then 2 s (BLOBFLOW_RETRY_DELAY
    doubling), dead-lettered after 3 attempts (record in deadletters/, exact text in the poison
    queue, never expiring, original gone). A raw "not an event" message: poison at first sight,
    unchanged. `--replay-dead-letters --dry-run` moves nothing; after the fix, the replay moves both:
    the blob completes, the undecodable message lands in the poison queue again."""
    h = harness
    ok, bad = "p/ok.txt", "p/will-fail.txt"
    files = {ok: b"fine\n", bad: b"doomed until fixed\n"}
    h.upload(files, threads=1)
    h.wait_for(lambda: h.queue_depth(WORK_QUEUE) >= 2, 20, "2 events")
    original = {decode_event(m.content)["subject"].rsplit("/blobs/", 1)[1]: m.content
                for m in h.work_queue().peek_messages(max_messages=32)}
    assert set(original) == {ok, bad}, original
    h.work_queue().send_message("not an event")
    h.set_app(fail_pattern="fail", fail_code=1)

    c = h.consumer(MAX_DEQUEUE_COUNT=3, CONCURRENCY=2)
    h.wait_for(lambda: len(h.dead_letters()) == 2 and h.queue_depth(POISON_QUEUE) == 2, 60,
               "2 dead letters", running=[c])
    h.wait_completed([ok], 30, running=[c], no_dead_letters=False)
    h.wait_for(lambda: h.queue_depth(WORK_QUEUE) == 0, 20, "work queue empty", running=[c])

    # Retries: 3 attempts, gaps of at least the configured 1 s and 2 s.
    attempts = [l.time for l in h.runs("start")[bad]]
    assert len(attempts) == 3, attempts
    gaps = [b_ - a_ for a_, b_ in zip(attempts, attempts[1:])]
    assert gaps[0] >= 0.9 and gaps[1] >= 1.9, f"retry gaps {gaps} (expected >= 1 s, then >= 2 s)"
    assert len(h.runs("start")[ok]) == 1

    letters = {d.get("reason"): d for d in h.dead_letters()}
    assert set(letters) == {"dequeue-limit-reached", "undecodable-message"}, h.dead_letters()
    limit, junk = letters["dequeue-limit-reached"], letters["undecodable-message"]
    assert limit["key"]["blobName"] == bad and limit["attempts"] == 3, limit
    assert limit["messageText"] == original[bad], "dead-letter record keeps the original text"
    assert junk["messageText"] == "not an event" and junk["attempts"] == 1 and junk.get("key") is None, junk
    rec = h.records_by_name()[bad][0]
    assert rec["step"] == "dead-lettered" and rec["attempts"] == 3, rec

    poison = h.poison_queue().peek_messages(max_messages=32)
    assert sorted(m.content for m in poison) == sorted([original[bad], "not an event"])
    far = datetime.now(timezone.utc) + timedelta(days=365 * 50)
    for m in poison:
        assert m.expires_on > far, f"poison message expires {m.expires_on} (expected never)"
    undecodable_logs = [r for r in c.log_records() if "undecodable" in r.get("message", "")]
    assert len(undecodable_logs) == 1, undecodable_logs
    assert str(undecodable_logs[0].get("dequeue_count")) == "1", undecodable_logs[0]

    # Dry runs move nothing.
    p = h.cli("--replay-dead-letters", "--dry-run", "--json")
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    dry = json.loads(p.stdout)
    assert dry["dryRun"] is True and dry["counts"]["wouldMove"] == 2 and dry["counts"]["moved"] == 0, dry
    assert {r["action"] for r in dry["rows"]} == {"would-move"}
    for args, expect in [
        (["--blob", "nothing-matches-*"], {"skippedFilter": 2, "wouldMove": 0}),
        (["--blob", "p/will-*"], {"skippedFilter": 1, "wouldMove": 1}),
        (["--event-id", decode_event(original[bad])["id"]], {"skippedFilter": 1, "wouldMove": 1}),
        (["--limit", "1"], {"skippedLimit": 1, "wouldMove": 1}),
        (["--older-than", "1h"], {"skippedFilter": 2, "wouldMove": 0}),
    ]:
        p = h.cli("--replay-dead-letters", "--dry-run", "--json", *args)
        assert p.returncode == 0, (args, p.stderr.decode(errors="replace"))
        counts = json.loads(p.stdout)["counts"]
        assert {k: counts[k] for k in expect} == expect, (args, counts)
    time.sleep(1.5)
    assert h.queue_depth(POISON_QUEUE) == 2 and h.queue_depth(WORK_QUEUE) == 0 and len(h.dead_letters()) == 2
    assert len(h.runs("start")[bad]) == 3

    # Fix the app, replay for real.
    h.set_app(fixed=True)
    p = h.cli("--replay-dead-letters", "--json")
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    report = json.loads(p.stdout)
    assert report["dryRun"] is False and report["counts"]["moved"] == 2, report
    assert len(report["rows"]) == 2, f"the replay handled messages it had put back itself: {report['rows']}"
    rows = {r.get("blob"): r for r in report["rows"]}
    assert set(rows) == {f"{INPUT}/{bad}", None}, report["rows"]
    assert rows[None]["action"] == "moved" and rows[None]["reason"] == "undecodable-message", rows[None]
    assert rows[f"{INPUT}/{bad}"]["reason"] == "dequeue-limit-reached" and rows[f"{INPUT}/{bad}"]["attempts"] == 3

    h.wait_completed([bad], 40, running=[c], no_dead_letters=False)
    rec = h.records_by_name()[bad][0]
    assert rec["replays"] == 1 and rec["attempts"] == 1, rec
    assert len(h.runs("end").get(bad, [])) == 1
    # The undecodable message cannot succeed: it is dead-lettered again, unchanged.
    h.wait_for(lambda: h.queue_depth(POISON_QUEUE) == 1 and len(h.dead_letters()) == 1, 30,
               "the undecodable message back in the poison queue", running=[c])
    h.wait_for(lambda: h.queue_depth(WORK_QUEUE) == 0, 20, "work queue empty", running=[c])
    (again,) = h.poison_queue().peek_messages(max_messages=32)
    assert again.content == "not an event"
    assert h.dead_letters()[0]["reason"] == "undecodable-message"
    c.stop()
    h.check_outputs(bad, files[bad], h.output_listing())
    assert h.corrupt_files() == []


# ----------------------------------------------------------------------------------------- 6
@pytest.mark.slow
@pytest.mark.timeout(150)
def test_lease_kept_for_long_work(harness):
    """The app takes 32 s, over 3 visibility timeouts (10 s): the lease is renewed, so the
    message is never delivered again: one app run, one attempt, dequeue count 1 throughout."""
    h = harness
    name = "lease/slow.txt"
    h.upload({name: b"slow work\n"}, threads=1)
    h.set_app(sleep="32")
    c = h.consumer(VISIBILITY_TIMEOUT=10, CONCURRENCY=2)
    h.wait_completed([name], 100, running=[c])
    h.wait_for(lambda: h.queue_depth(WORK_QUEUE) == 0, 20, "work queue empty", running=[c])
    time.sleep(2)
    c.stop()
    assert len(h.runs("start")[name]) == 1
    rec = h.records_by_name()[name][0]
    assert rec["attempts"] == 1, rec
    counts = {str(r["dequeue_count"]) for r in c.log_records() if "dequeue_count" in r}
    assert counts <= {"1"}, f"message delivered again: dequeue counts {counts}"
    lost = [m for m in c.messages() if "lease" in m.lower() and ("lost" in m.lower() or "abandon" in m.lower())]
    assert lost == [], lost
    _assert_clean_end(h, [name])


# ----------------------------------------------------------------------------------------- 7
@pytest.mark.slow
@pytest.mark.timeout(150)
def test_sigterm_releases_work_to_the_next_replica(harness):
    """App sleeping 60 s, visibility 120 s, grace 1 s: SIGTERM -> exit 0 within 10 s, the app is
    stopped, and a consumer started right after picks the blob up within 20 s (the message was
    released, not left hidden for 120 s) and completes it."""
    h = harness
    name = "shutdown/job.txt"
    data = b"interrupted once\n"
    h.upload({name: data}, threads=1)
    h.set_app(sleep="60")
    a = h.consumer("r1", VISIBILITY_TIMEOUT=120, SHUTDOWN_GRACE="1s")
    h.wait_for(lambda: h.runs("start").get(name), 40, "the app to start", running=[a])
    (first,) = h.runs("start")[name]
    time.sleep(1)
    t0 = time.monotonic()
    a.stop(timeout=30)
    took = time.monotonic() - t0
    assert took <= 10, f"SIGTERM -> exit took {took:.1f}s (grace 1 s)"
    h.wait_for(lambda: not process_running(first.pid), 10, "the interrupted app to be stopped")

    h.set_app(sleep="0")
    started = time.time()
    b = h.consumer("r2", VISIBILITY_TIMEOUT=120)
    h.wait_for(lambda: len(h.runs("start").get(name, [])) == 2, 20, "the second consumer to start the blob",
               running=[b])
    second = h.runs("start")[name][1]
    assert second.replica == "r2" and second.time - started < 20
    h.wait_completed([name], 30, running=[b])
    h.wait_for(lambda: h.queue_depth(WORK_QUEUE) == 0, 20, "work queue empty", running=[b])
    b.stop()
    _assert_clean_end(h, [name])
    assert h.records_by_name()[name][0]["attempts"] == 2
    assert len(h.runs("end")[name]) == 1
    h.check_outputs(name, data, h.output_listing())


# ----------------------------------------------------------------------------------------- 8
TRIVIAL_APP = r"""#!/bin/sh
echo "start	0	$$	$TEST_REPLICA	$BLOBFLOW_EVENT_ID	-	$BLOBFLOW_BLOB_NAME" >> '@LOG@'
cp "$1" "$2/copy.bin" || exit 1
echo "end	0	$$	$TEST_REPLICA	$BLOBFLOW_EVENT_ID	0	$BLOBFLOW_BLOB_NAME" >> '@LOG@'
"""


def _patient_queue_service(store):
    from azure.storage.queue import LinearRetry, QueueServiceClient

    class Patient(LinearRetry):
        def configure_retries(self, request):
            s = super().configure_retries(request)
            for k in ("connect", "read", "status"):
                s[k] = s["total"]
            return s

    return QueueServiceClient.from_connection_string(
        store.connection_string, retry_policy=Patient(backoff=0.1, random_jitter_range=0.05, retry_total=20),
        connection_timeout=5, read_timeout=10)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_thousand_events_through_faults(devstore_factory, tmp_path):
    """1,000 events consumed (concurrency 16) while 10 % of all requests fail with 500, 503 or a
    dropped connection -> every blob completed, none lost or dead-lettered, 1,000 manifests, both
    queues empty.

    The blobs are uploaded with the server's faults off, then the server is restarted on the same
    data folder with --faults, so the faults hit blobflow, not the test's own uploads (the events
    wait in the queue across the restart)."""
    loc = tmp_path / "fault-data"
    loc.mkdir()
    clean = devstore_factory(location=loc)
    h = Harness(clean, tmp_path / "h")
    try:
        names = [f"faults/{i % 10}/f-{i:04d}.txt" for i in range(1000)]
        files = {n: f"{n}\n".encode() for n in names}
        h.upload(files, threads=16)
        h.wait_for(lambda: h.queue_depth(WORK_QUEUE) >= 1000, 60, "1000 events")
        assert clean.stop() == 0

        # Same ports: the events name the blob URL, and blobflow refuses events naming another endpoint.
        ports = ["--blob-port", str(clean.blob_port), "--queue-port", str(clean.queue_port)]
        faulty = devstore_factory(args=["--faults", "rate=0.1,kinds=500|503|drop,seed=11", *ports], location=loc)
        assert faulty.blob_port == clean.blob_port, "the devstore did not take the fixed port"
        h.reconnect(faulty)
        (h.root / "trivial.sh").write_text(TRIVIAL_APP.replace("@LOG@", str(h.app_log)))
        c = h.consumer(CONCURRENCY=16, BATCH_SIZE=32, COMMAND=f"/bin/sh {h.root / 'trivial.sh'} {{input}} {{output}}")
        h.wait_completed(names, 480, running=[c])
        patient = _patient_queue_service(faulty)
        h.wait_for(lambda: patient.get_queue_client(WORK_QUEUE).get_queue_properties().approximate_message_count == 0,
                   60, "work queue empty", running=[c])
        c.stop()
        assert faulty.stop() == 0

        # Check everything on the same data with the faults off again.
        h.reconnect(devstore_factory(args=ports, location=loc))
        _assert_clean_end(h, names)
        assert h.dead_letters() == []
        recs = h.records()
        assert sum(1 for r in recs if r.get("step") == "completed") == 1000 and len(recs) == 1000
        listing = h.output_listing()
        manifests = [n for n in listing if n.endswith("/" + MANIFEST_BLOB)]
        assert len(manifests) == 1000
        for n in names:
            for rel in ("copy.bin", LOG_BLOB, MANIFEST_BLOB):
                assert f"{n}/{rel}" in listing, f"{n}/{rel} missing"
        for n in names[::50]:
            m = json.loads(h.download_output(f"{n}/{MANIFEST_BLOB}"))
            assert [(o["name"].rsplit("/", 1)[-1], o["md5"]) for o in m["outputs"]] == [("copy.bin", md5_b64(files[n]))], m
        runs = h.runs("start")
        assert set(runs) == set(names)
        reruns = {n: len(v) for n, v in runs.items() if len(v) > 1}
        errors = [r for r in c.log_records() if r.get("level") in ("error", "critical")]
        print(f"\n[faults] {len(reruns)} blobs ran more than once; {len(errors)} error lines; "
              f"{sum(1 for r in c.log_records() if r.get('level') == 'warning')} warnings")
        assert not any("_raw" in r for r in c.log_records()), "non-JSON stderr lines"
    finally:
        h.stop_all()


# ----------------------------------------------------------------------------------------- 9
def _run_cli(env: dict, cwd: Path, *args, timeout: float = 30):
    import subprocess
    from support import blobflow_bin
    return subprocess.run([str(blobflow_bin()), *args], env=env, cwd=str(cwd), capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _offline_env(tmp_path: Path, **settings) -> dict:
    """A complete consumer environment whose storage endpoints point at a closed port: a command
    that got as far as touching storage would hang or fail differently from exit 2."""
    from consumer_support import clean_environment, setting_name
    from support import DEV_ACCOUNT, DEV_KEY
    env = clean_environment()
    env.update({
        "AZURE_STORAGE_CONNECTION_STRING": (
            f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
            f"BlobEndpoint=http://127.0.0.1:9/{DEV_ACCOUNT};QueueEndpoint=http://127.0.0.1:9/{DEV_ACCOUNT};"),
        "BLOBFLOW_CHECKPOINT_DIR": str(tmp_path / "cp"),
        "BLOBFLOW_PROCESSOR": "command",
        "BLOBFLOW_COMMAND": "/bin/true {input} {output}",
        "BLOBFLOW_LOG_FORMAT": "json",
    })
    env.update({setting_name(k): str(v) for k, v in settings.items()})
    return env


def test_configuration_errors_exit_2(tmp_path):
    """BLOBFLOW_OUTPUT_CONTAINER=input is refused (exit 2, the loop explained); a bad batch size
    and a bad queue name are reported together, one line each, before storage is touched."""
    from support import DEV_KEY
    p = _run_cli(_offline_env(tmp_path, OUTPUT_CONTAINER="input"), tmp_path, "run")
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 2, (p.returncode, err)
    assert "forever" in err and "BLOBFLOW_OUTPUT_CONTAINER" in err, err
    assert DEV_KEY not in err and DEV_KEY not in p.stdout.decode("utf-8", "replace")

    p = _run_cli(_offline_env(tmp_path, BATCH_SIZE="64", QUEUE="Bad_Queue!"), tmp_path, "run")
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 2, (p.returncode, err)
    lines = [l for l in err.splitlines() if l.strip()]
    batch = [l for l in lines if "BLOBFLOW_BATCH_SIZE" in l]
    queue = [l for l in lines if "BLOBFLOW_QUEUE" in l and "Bad_Queue!" in l]
    assert len(batch) == 1 and "64" in batch[0], err
    assert queue and batch[0] not in queue, err
    assert re.search(r"\b[23] configuration problems", err), err
    assert p.stdout == b""


# ----------------------------------------------------------------------------------------- 10
# Faults only on operations the consumer does and the test's own SDK calls do not, so that
# blobflow logs its retries (at debug, with the error) while the test's uploads stay unaffected.
CONSUMER_ONLY_FAULTS = "rate=0.3,kinds=500|503|drop,ops=GetMessages|GetBlob|GetBlobProperties|DeleteMessage,seed=5"


@pytest.mark.timeout(120)
def test_sas_credential_never_logged(devstore_factory, tmp_path):
    """Account SAS (AZURE_STORAGE_ACCOUNT + AZURE_STORAGE_SAS_TOKEN + endpoints), JSON logs at
    debug, injected faults so storage retries are logged, two good blobs and one the app rejects
    (exit 65: dead-lettered at once) -> no line of blobflow's output holds the SAS signature or the
    account key, every stderr line is a JSON object with timestamp, level and message; the app's
    environment holds no credential; the checkpoint folder neither."""
    store = devstore_factory(args=["--faults", CONSUMER_ONLY_FAULTS])
    h = Harness(store, tmp_path / "h")
    try:
        _sas_credential_never_logged(h, store)
    finally:
        h.stop_all()


def _sas_credential_never_logged(h: Harness, store):
    account, key = account_of(store)
    sas = make_account_sas(account, key, "bq")
    sig = urllib.parse.parse_qs(sas)["sig"][0]
    secrets = {sig, urllib.parse.quote(sig, safe=""), key, urllib.parse.quote(key, safe="")}
    names = ["s/ok-1.txt", "s/ok-2.txt", "s/fail-3.txt"]
    files = {n: f"{n}\n".encode() for n in names}
    h.upload(files, threads=1)
    h.set_app(fail_pattern="fail", fail_code=65, env_dump=True)
    env = h.env("r1", LOG_LEVEL="debug", AZURE_STORAGE_CONNECTION_STRING=None, AZURE_STORAGE_ACCOUNT=account,
                AZURE_STORAGE_SAS_TOKEN=sas, AZURE_STORAGE_BLOB_ENDPOINT=store.blob_endpoint,
                AZURE_STORAGE_QUEUE_ENDPOINT=store.queue_endpoint)
    c = h.consumer(env=env)
    h.wait_completed(names[:2], 60, running=[c], no_dead_letters=False)
    h.wait_for(lambda: h.queue_depth(POISON_QUEUE) == 1 and h.queue_depth(WORK_QUEUE) == 0, 30,
               "the failing blob dead-lettered", running=[c])
    st = h.cli("status", "--json", env=env)
    rp = h.cli("--replay-dead-letters", "--dry-run", "--json", env=env)
    c.stop()

    rec = h.records_by_name()["s/fail-3.txt"][0]
    assert rec["step"] == "dead-lettered" and rec["attempts"] == 1, rec
    assert len(h.runs("start")["s/fail-3.txt"]) == 1, "exit 65 is not retried"
    (letter,) = h.dead_letters()
    assert letter["reason"] == "permanent-failure", letter

    outputs = {"consumer stderr": c.stderr_text(), "consumer stdout": c.stdout_text(),
               "status": (st.stdout + st.stderr).decode("utf-8", "replace"),
               "replay": (rp.stdout + rp.stderr).decode("utf-8", "replace")}
    assert st.returncode == 0 and rp.returncode == 0, outputs
    for where, text in outputs.items():
        for s in secrets:
            assert s not in text, f"a secret appears in {where}"
    for p in h.checkpoints.rglob("*"):
        if p.is_file():
            text = p.read_text("utf-8", "replace")
            assert not any(s in text for s in secrets), f"a secret appears in {p}"

    records = c.log_records()
    bad = [r for r in records if "_raw" in r]
    assert bad == [], f"non-JSON stderr lines: {bad[:3]}"
    for r in records:
        assert isinstance(r.get("message"), str) and r.get("level") in LEVELS, r
        datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00"))
    assert any(r["level"] == "debug" for r in records), "no debug lines at BLOBFLOW_LOG_LEVEL=debug"
    retries = [r for r in records if r["message"] == "retrying storage operation"]
    assert retries, "no storage retry was logged (the faults did not reach blobflow?)"
    assert any(r["level"] == "error" for r in records), "the dead letter was not logged as an error"

    env_names = set((h.ctrl / "env-names").read_text().split())
    leaked = env_names & {"AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING"}
    assert not leaked, f"credentials passed to the app: {leaked}"
    assert {"BLOBFLOW_INPUT", "BLOBFLOW_OUTPUT_DIR", "BLOBFLOW_BLOB_NAME", "BLOBFLOW_EVENT_ID"} <= env_names
