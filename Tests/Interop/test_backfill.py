"""`blobflow backfill` and `blobflow --replay-dead-letters --from-event-grid`, end to end against
the development server with its Event Grid emulation switched off (so that only these commands
put events on the work queue), the real consumer and the Python SDK as the independent client.

- Blobs uploaded before any subscription existed are processed exactly once after a backfill;
  a second backfill enqueues nothing for them; outputs and directory markers are never enqueued.
- An Event Grid dead-letter blob written in Azure's format (an array of events carrying
  deadLetterReason, deliveryAttempts, lastDeliveryOutcome) is replayed by the command and its
  file processed; a filter takes only some events and leaves the rest in the blob.
"""

from __future__ import annotations

import base64
import json
import time

import pytest

from consumer_support import INPUT, OUTPUT, WORK_QUEUE, Harness


@pytest.fixture
def harness(devstore_factory, tmp_path):
    h = Harness(devstore_factory(args=["--no-default-subscription"]), tmp_path / "h")
    for name in (INPUT, OUTPUT, "eventgrid-deadletters"):
        h.blobs.create_container(name)
    h.queues.create_queue(WORK_QUEUE)
    yield h
    h.stop_all()


def run_json(h: Harness, *args: str, **settings) -> dict:
    p = h.cli(*args, "--json", **settings)
    assert p.returncode == 0, f"blobflow {' '.join(args)} exited {p.returncode}: {p.stderr.decode(errors='replace')}"
    return json.loads(p.stdout)


def messages_on_work_queue(h: Harness) -> list[dict]:
    out = []
    for m in h.work_queue().peek_messages(max_messages=32):
        out.append(json.loads(base64.b64decode(m.content)))
    return out


@pytest.mark.timeout(240)
def test_backfill_processes_existing_blobs_once_and_never_outputs(harness):
    h = harness
    files = {f"old/{i}.txt": f"uploaded before the subscription {i}".encode() for i in range(6)}
    files["old/deep/name with spaces.csv"] = b"a,b\n1,2\n"
    h.upload(files)
    # Things backfill must leave alone: a directory marker, and outputs in the output location.
    h.blobs.get_blob_client(INPUT, "old/folder/").upload_blob(b"", overwrite=True)
    h.blobs.get_blob_client(OUTPUT, "old/0.txt/result.txt").upload_blob(b"an output", overwrite=True)
    assert h.queue_depth(WORK_QUEUE) == 0, "the development server made events although its subscription is off"

    dry = run_json(h, "backfill", "--dry-run")
    assert dry["dryRun"] is True
    assert {r["blobName"] for r in dry["rows"]} == set(files), dry["rows"]
    assert all(r["action"] == "would-enqueue" for r in dry["rows"])
    assert dry["counts"]["skipped"] == {"directory-or-placeholder": 1}, dry["counts"]
    assert h.queue_depth(WORK_QUEUE) == 0, "a dry run sent events"

    first = run_json(h, "backfill")
    assert first["counts"]["enqueued"] == len(files), first["counts"]
    events = messages_on_work_queue(h)
    assert len(events) == len(files)
    for event in events:
        assert event["eventType"] == "Microsoft.Storage.BlobCreated"
        assert event["id"].startswith("blobflow-backfill-")
        assert event["data"]["api"] == "PutBlob"
        assert event["subject"].startswith(f"/blobServices/default/containers/{INPUT}/blobs/old/")

    consumer = h.consumer(exit_when_idle="2s")
    h.wait_completed(files, timeout=120, running=[consumer])
    assert consumer.wait(60) == 0, consumer.tail(40)
    starts = h.runs("start")
    assert {name: len(lines) for name, lines in starts.items()} == {name: 1 for name in files}, starts.keys()
    listing = h.output_listing()
    for name, data in files.items():
        h.check_outputs(name, data, listing)

    # A second backfill finds everything done; nothing under the output location was ever queued.
    second = run_json(h, "backfill")
    assert second["counts"]["enqueued"] == 0, second["counts"]
    assert second["counts"]["done"] == len(files), second["counts"]
    assert h.queue_depth(WORK_QUEUE) == 0
    assert not any(name.startswith("old/0.txt/") for name in h.runs("start"))

    # A new version of one file is new work; --prefix and --limit narrow the listing.
    h.upload({"old/1.txt": b"a second version"})
    third = run_json(h, "backfill", "--prefix", "old/1", "--limit", "5")
    assert [r["blobName"] for r in third["rows"]] == ["old/1.txt"], third["rows"]
    assert third["counts"]["listed"] == 1


@pytest.mark.timeout(60)
def test_backfill_never_enqueues_the_output_location(harness):
    h = harness
    h.upload({"in/a.txt": b"input", "results/in/a.txt/result.txt": b"an output in the input container"})
    same = {"BLOBFLOW_OUTPUT_CONTAINER": INPUT, "BLOBFLOW_INPUT_PREFIX": "in/", "BLOBFLOW_OUTPUT_PREFIX": "results/"}
    dry = run_json(h, "backfill", "--dry-run", **same)
    assert [r["blobName"] for r in dry["rows"]] == ["in/a.txt"], dry["rows"]
    assert dry["counts"]["listed"] == 1, dry["counts"]
    p = h.cli("backfill", "--dry-run", "--prefix", "results/", **same)
    assert p.returncode != 0 and b"outside the input prefix" in p.stderr, p.stderr


@pytest.mark.timeout(60)
def test_backfill_reports_bad_arguments_clearly(harness):
    h = harness
    p = h.cli("backfill", "--modified-since", "last tuesday")
    assert p.returncode != 0
    assert b"--modified-since" in p.stderr
    p = h.cli("backfill", "--limit", "0")
    assert p.returncode != 0 and b"--limit" in p.stderr


def dead_letter_event(h: Harness, name: str, etag: str, size: int, event_id: str, attempt_time: str) -> dict:
    """An event as Event Grid writes it into its dead-letter container: the original event plus
    the dead-letter members."""
    url = h.blobs.get_blob_client(INPUT, name).url
    return {
        "id": event_id,
        "eventTime": "2026-11-20T08:00:00.1234567Z",
        "eventType": "Microsoft.Storage.BlobCreated",
        "dataVersion": "",
        "metadataVersion": "1",
        "topic": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
                 "Microsoft.Storage/storageAccounts/devstoreaccount1",
        "subject": f"/blobServices/default/containers/{INPUT}/blobs/{name}",
        "data": {
            "api": "PutBlob", "clientRequestId": event_id, "requestId": event_id, "eTag": etag.strip('"'),
            "contentType": "text/plain", "contentLength": size, "blobType": "BlockBlob", "url": url,
            "sequencer": "00000000000000000000000000000001", "storageDiagnostics": {"batchId": "b"},
        },
        "deadLetterReason": "MaxDeliveryAttemptsExceeded",
        "deliveryAttempts": 30,
        "lastDeliveryOutcome": "Forbidden",
        "publishTime": "2026-11-20T08:00:01.0000000Z",
        "lastDeliveryAttemptTime": attempt_time,
    }


@pytest.mark.timeout(240)
def test_event_grid_dead_letters_are_replayed_from_the_command_line(harness):
    h = harness
    files = {"eg/a.txt": b"first file", "eg/b.txt": b"second file", "eg/c.txt": b"third file"}
    etags = h.upload(files)
    recent = time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime(time.time() - 60))
    events = [dead_letter_event(h, n, etags[n], len(files[n]), f"eg-{i}", recent) for i, n in enumerate(sorted(files))]
    dead = h.blobs.get_container_client("eventgrid-deadletters")
    dead.upload_blob("BLOBFLOW-EVENTS/2026/11/20/8/one.json", json.dumps(events[:2]).encode())
    dead.upload_blob("BLOBFLOW-EVENTS/2026/11/20/8/two.json", json.dumps(events[2:]).encode())

    dry = run_json(h, "--replay-dead-letters", "--from-event-grid", "--dry-run")
    assert sorted(e for r in dry["rows"] for e in r["eventIDs"]) == ["eg-0", "eg-1", "eg-2"], dry
    assert all(r["deadLetterReasons"] == ["MaxDeliveryAttemptsExceeded"] for r in dry["rows"])
    assert h.queue_depth(WORK_QUEUE) == 0

    # Only one event of the first blob: the blob is rewritten with the other one.
    some = run_json(h, "--replay-dead-letters", "--from-event-grid", "eventgrid-deadletters", "--blob", "eg/a.txt")
    assert [r["eventIDs"] for r in some["rows"]] == [["eg-0"]], some
    assert some["rows"][0]["kept"] == 1
    left = json.loads(dead.get_blob_client("BLOBFLOW-EVENTS/2026/11/20/8/one.json").download_blob().readall())
    assert [e["id"] for e in left] == ["eg-1"]
    assert left[0]["deadLetterReason"] == "MaxDeliveryAttemptsExceeded"

    rest = run_json(h, "--replay-dead-letters", "--from-event-grid")
    assert sorted(e for r in rest["rows"] for e in r["eventIDs"]) == ["eg-1", "eg-2"], rest
    assert [b.name for b in dead.list_blobs()] == [], "replayed dead-letter blobs were not removed"

    consumer = h.consumer(exit_when_idle="2s")
    h.wait_completed(files, timeout=120, running=[consumer])
    assert consumer.wait(60) == 0, consumer.tail(40)
    listing = h.output_listing()
    for name, data in files.items():
        h.check_outputs(name, data, listing)

    # Old dead letters only: nothing this recent matches.
    dead.upload_blob("BLOBFLOW-EVENTS/2026/11/20/9/three.json", json.dumps(events[:1]).encode())
    none = run_json(h, "--replay-dead-letters", "--from-event-grid", "--older-than", "1h")
    assert none["rows"] == [], none
    p = h.cli("--replay-dead-letters", "--from-event-grid", "no-such-container")
    assert p.returncode != 0 and b"no-such-container" in p.stderr, p.stderr
