"""Consumer benchmark (not a test: it prints figures).

Starts the development server (release build) on free ports, fills a queue with BlobCreated
events for distinct blob versions, then drains it twice:

1. `blobflow run --processor noop` (release build): decode, claim, checkpoint, acknowledge each
   event; it exits once the queue has been idle for 2 s (subtracted from the time). Runs with
   checkpoints in a folder on the local disk (completed records are made durable by a flush of
   the file system shared by the events finishing together, and each event creates two small
   files) and on tmpfs, which shows the consumer's own overhead. With a C compiler at hand, a
   third run on the local disk has the flush skipped (`Benchmarks/noflush/noflush.c` preloaded
   makes `syncfs` a no-op; a measurement, never a setting): the difference is what durability
   costs on this disk.
2. A straightforward single-threaded consumer written with the official Azure SDK for Python:
   receive 32, and for each message write one checkpoint file, fsync it, then delete the message
   (the least a consumer that keeps durable checkpoints can do; no decoding, no claims).
3. System calls on the checkpoint folder per event, counted with `strace -f -y` on a folder
   already in use (its fan-out folders exist): blobflow drains N new events, then N duplicates
   of the same blob versions; every call naming a path or a descriptor under the folder counts,
   except those of the pruner's start-up scan (the thread that lists the folder).

Then it runs blobflow against an empty queue for a minute at the default poll intervals and
counts its requests.

Usage: python Benchmarks/consumer_bench.py [--events 20000] [--concurrency 32] [--idle-seconds 60]
       [--strace-events 500] [--skip-build]
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(__file__))
from devstore_bench import ACCOUNT, KEY, start_server  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PYTHON_CONSUMER = r"""
import os, sys, time
from azure.storage.queue import QueueClient
conn, name, expected, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
queue = QueueClient.from_connection_string(conn, name)
done, started = 0, time.monotonic()
while done < expected:
    got = 0
    for message in queue.receive_messages(messages_per_page=32, max_messages=32, visibility_timeout=300):
        path = os.path.join(folder, message.id + ".json")
        with open(path, "w") as checkpoint:
            checkpoint.write('{"step": "completed", "messageID": "%s"}' % message.id)
            checkpoint.flush()
            os.fsync(checkpoint.fileno())
        queue.delete_message(message)
        got += 1
    done += got
    if got == 0:
        time.sleep(0.1)
print(f"{done} {time.monotonic() - started:.3f}")
"""


def event(index, blob_endpoint):
    name = f"bench/{index:06d}.txt"
    body = [{
        "topic": f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/bench/providers/Microsoft.Storage/storageAccounts/{ACCOUNT}",
        "subject": f"/blobServices/default/containers/input/blobs/{name}",
        "eventType": "Microsoft.Storage.BlobCreated",
        "id": str(uuid.uuid4()),
        "data": {
            "api": "PutBlob", "clientRequestId": str(uuid.uuid4()), "requestId": str(uuid.uuid4()),
            "eTag": f"0x8DC{index:013X}", "contentType": "text/plain", "contentLength": 100, "blobType": "BlockBlob",
            "url": f"{blob_endpoint}/input/{name}", "sequencer": f"{index:032d}",
            "storageDiagnostics": {"batchId": str(uuid.uuid4())},
        },
        "dataVersion": "", "metadataVersion": "1", "eventTime": "2026-11-21T10:00:00.0000000Z",
    }]
    return base64.b64encode(json.dumps(body).encode()).decode()


def fill(conn, queue_name, count, blob_endpoint, first=0):
    from azure.storage.queue import QueueClient
    client = QueueClient.from_connection_string(conn, queue_name)
    try:
        client.create_queue()
    except Exception:
        pass

    def send(chunk):
        local = QueueClient.from_connection_string(conn, queue_name)
        for index in chunk:
            local.send_message(event(first + index, blob_endpoint))

    chunks = [range(start, min(count, start + 500)) for start in range(0, count, 500)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(send, chunks))


def build_noflush(work):
    """Compiles the syncfs no-op (Benchmarks/noflush/noflush.c); its path, or None without cc."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        return None
    library = os.path.join(work, "noflush.so")
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", library,
                    os.path.join(os.path.dirname(os.path.abspath(__file__)), "noflush", "noflush.c")], check=True)
    return library


def run_blobflow(blobflow, env, log_path):
    """Runs blobflow; returns (seconds, peak RSS MiB, statistics from its 'stopped' line)."""
    started = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen([blobflow, "run"], env=env, stdout=log, stderr=log)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    text = open(log_path).read()
    if code != 0:
        raise RuntimeError(f"blobflow run exited {code}: {text[-3000:]}")
    stats = {}
    for line in text.splitlines():
        if '"message":"stopped"' in line:
            stats = {k: int(v) for k, v in re.findall(r'"([a-z_]+)":(\d+)', line)}
    return elapsed, usage.ru_maxrss / 1024, stats


def count_checkpoint_syscalls(blobflow, env, folder, trace_path, log_path):
    """Runs blobflow under strace; returns {syscall: count} of calls on `folder`'s paths."""
    command = ["strace", "-f", "-y", "-qq", "-e", "trace=%file,%desc", "-o", trace_path, blobflow, "run"]
    with open(log_path, "w") as log:
        subprocess.run(command, env=env, stdout=log, stderr=log, check=True)
    # The pruner scans the whole folder once at start (listing folders, reading every record); its
    # thread is left out, as it is not per-event work. Per-event I/O runs on other threads.
    with open(trace_path, errors="replace") as trace:
        lines = [line for line in trace if folder in line]
    scanners = {line.split()[0] for line in lines if re.match(r"^\d+\s+getdents64\(", line)}
    counts = {}
    for line in lines:
        match = re.match(r"^(\d+)\s+(\w+)\(", line)
        if match and match.group(1) not in scanners:
            counts[match.group(2)] = counts.get(match.group(2), 0) + 1
    return counts


def strace_figures(blobflow, base_env, conn, blob_endpoint, work, events):
    """System calls on the checkpoint folder per new and per duplicate event, on a warm folder."""
    folder = os.path.join(work, "strace-checkpoints")
    env = dict(base_env, BLOBFLOW_CHECKPOINT_DIR=folder, BLOBFLOW_CONCURRENCY="32", BLOBFLOW_BATCH_SIZE="32",
               BLOBFLOW_EXIT_WHEN_IDLE="2s", BLOBFLOW_MAX_POLL_INTERVAL="250ms")
    # Warm the folder: its 2 x 256 fan-out folders exist in a folder in use.
    fill(conn, "bench-warm", 3000, blob_endpoint, first=100000)
    run_blobflow(blobflow, dict(env, BLOBFLOW_QUEUE="bench-warm"), os.path.join(work, "warm.log"))
    results = []
    for label in ("new", "duplicate"):
        queue = f"bench-strace-{label}"
        fill(conn, queue, events, blob_endpoint)  # the same blob versions both times
        counts = count_checkpoint_syscalls(blobflow, dict(env, BLOBFLOW_QUEUE=queue), folder,
                                           os.path.join(work, f"strace-{label}.txt"), os.path.join(work, f"strace-{label}.log"))
        results.append((label, counts))
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--idle-seconds", type=int, default=60)
    parser.add_argument("--strace-events", type=int, default=500)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "blobflow"], cwd=ROOT, check=True)
    blobflow = os.path.join(ROOT, ".build/release/blobflow")
    work = tempfile.mkdtemp(prefix="blobflow-consumer-bench-")
    server, blob_endpoint, queue_endpoint = start_server(blobflow, os.path.join(work, "store"))
    try:
        conn = (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                f"BlobEndpoint={blob_endpoint};QueueEndpoint={queue_endpoint};")
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "BLOBFLOW_"))}
        base_env.update({
            "AZURE_STORAGE_CONNECTION_STRING": conn, "BLOBFLOW_LOG_FORMAT": "json", "BLOBFLOW_LOG_LEVEL": "warning",
            "BLOBFLOW_PROCESSOR": "noop", "BLOBFLOW_REPLICA_ID": "bench",
        })

        runs = []
        folders = [("local disk (ext4, fsync)", os.path.join(work, "checkpoints"), {})]
        if os.path.isdir("/dev/shm"):
            folders.append(("tmpfs (no disk flush cost)", tempfile.mkdtemp(prefix="blobflow-bench-", dir="/dev/shm"), {}))
        noflush = build_noflush(work)
        if noflush:
            folders.append(("local disk, flush skipped (measurement only)", os.path.join(work, "checkpoints-noflush"),
                            {"LD_PRELOAD": noflush}))
        for index, (label, folder, extra) in enumerate(folders):
            queue = f"bench-blobflow-{index}"
            print(f"filling the queue with {args.events} events ({label}) ...", flush=True)
            fill(conn, queue, args.events, blob_endpoint)
            env = dict(base_env, **extra, BLOBFLOW_QUEUE=queue, BLOBFLOW_CHECKPOINT_DIR=folder,
                       BLOBFLOW_CONCURRENCY=str(args.concurrency), BLOBFLOW_BATCH_SIZE="32", BLOBFLOW_EXIT_WHEN_IDLE="2s",
                       BLOBFLOW_MAX_POLL_INTERVAL="250ms", BLOBFLOW_LOG_LEVEL="notice")
            seconds, rss, _ = run_blobflow(blobflow, env, os.path.join(work, f"blobflow-{index}.log"))
            busy = max(0.001, seconds - 2.0)  # it exits once the queue has been empty for 2 s
            records = sum(len(files) for _, _, files in os.walk(os.path.join(folder, "records")))
            runs.append((label, args.events / busy, busy, records, rss))
            if folder.startswith("/dev/shm"):
                shutil.rmtree(folder, ignore_errors=True)
            # Folders on the disk stay until the end: on ext4 without a journal, files freed in
            # the last minutes make every new file search further, which would slow the next run.

        print(f"filling the queue again for the Python SDK consumer ...", flush=True)
        fill(conn, "bench-python", args.events, blob_endpoint)
        python = sys.executable  # the Python running this script, with the Azure SDK
        python_folder = os.path.join(work, "python-checkpoints")
        os.makedirs(python_folder)
        out = subprocess.run([python, "-c", PYTHON_CONSUMER, conn, "bench-python", str(args.events), python_folder],
                             check=True, capture_output=True, text=True).stdout.split()
        python_rate = int(out[0]) / float(out[1])

        syscalls = []
        if shutil.which("strace"):
            print(f"counting system calls on the checkpoint folder ({args.strace_events} new, then duplicate events) ...", flush=True)
            syscalls = strace_figures(blobflow, base_env, conn, blob_endpoint, work, args.strace_events)

        print(f"idle for {args.idle_seconds} s at the default poll intervals ...", flush=True)
        idle_env = dict(base_env, BLOBFLOW_QUEUE="bench-idle", BLOBFLOW_CHECKPOINT_DIR=os.path.join(work, "idle"),
                        BLOBFLOW_EXIT_WHEN_IDLE=f"{args.idle_seconds}s", BLOBFLOW_LOG_LEVEL="info")
        idle_seconds, _, idle_stats = run_blobflow(blobflow, idle_env, os.path.join(work, "idle.log"))
        polls = idle_stats.get("polls", 0)

        print(f"\nconsumer, {args.events} queued BlobCreated events, development server on 127.0.0.1, {os.cpu_count()} cores")
        for label, rate, busy, records, rss in runs:
            print(f"  blobflow run, noop processor, concurrency {args.concurrency}, batch 32, checkpoints on {label}:")
            print(f"      {rate:8.0f} events/s   ({busy:.1f} s; {records} checkpoint records; peak RSS {rss:.1f} MiB)")
        print(f"  Python SDK consumer (receive 32; per message write + fsync one checkpoint file, delete; one loop):")
        print(f"      {python_rate:8.0f} events/s")
        for label, rate, *_ in runs:
            if "measurement only" not in label:
                print(f"  ratio ({label}): {rate / python_rate:.1f}x")
        for label, counts in syscalls:
            total = sum(counts.values())
            detail = ", ".join(f"{name} {count / args.strace_events:.2f}" for name, count in sorted(counts.items(), key=lambda kv: -kv[1]))
            print(f"  system calls on the checkpoint folder per {label} event: {total / args.strace_events:.2f} ({detail})")
        print(f"  idle: {polls} receive requests in {idle_seconds:.0f} s = {polls * 60 / idle_seconds:.1f} per minute "
              f"(max poll interval 30 s; plus 2 queue-create requests at start)")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
