"""Queue client benchmark (not a test: it prints figures).

Starts the development server (release build) on free ports; blobflow's queue client
(Benchmarks/Sources/queue-bench, release build) fills a queue with 1 KiB messages, then drains it
with receive(32) + delete cycles on a few concurrent loops. Prints messages/s for both phases and
the client's peak resident memory.

Usage: python Benchmarks/queue_bench.py [--messages 20000] [--loops 4] [--skip-build]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from devstore_bench import ACCOUNT, KEY, start_server  # noqa: E402
from transfer_bench import ROOT, build, run_measured  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--loops", type=int, default=4)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    if args.skip_build:
        blobflow = os.path.join(ROOT, ".build/release/blobflow")
        bench_dir = os.path.join(ROOT, "Benchmarks/.build/release")
    else:
        blobflow, transfer = build()
        bench_dir = os.path.dirname(transfer)
    work = tempfile.mkdtemp(prefix="blobflow-queue-bench-")
    server, _, queue_endpoint = start_server(blobflow, os.path.join(work, "store"))
    try:
        conn = (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                f"BlobEndpoint=http://127.0.0.1:1/{ACCOUNT};QueueEndpoint={queue_endpoint};")
        _, rss, out = run_measured([os.path.join(bench_dir, "queue-bench"), conn, "bench", str(args.messages), str(args.loops)])
        figures = json.loads(out.strip().splitlines()[-1])
        print(f"\nblobflow queue client, {figures['messages']} messages of 1 KiB, development server on 127.0.0.1, {os.cpu_count()} cores")
        print(f"  put (32 concurrent senders):             {figures['put_per_s']:8.0f} messages/s")
        print(f"  receive(32) + delete ({args.loops} loops):          {figures['drain_per_s']:8.0f} messages/s")
        print(f"  client peak RSS:                         {rss:8.1f} MiB")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
