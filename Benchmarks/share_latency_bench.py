"""Share-latency benchmark (not a test: it prints figures).

blobflow's checkpoint folder is an Azure Files share in production, where every open, close,
rename, unlink and flush is a network round trip. This benchmark stands in for that: it mounts
the checkpoint folder through a FUSE passthrough that sleeps a fixed time (default 2 ms) in
every file operation, then drains queues of BlobCreated events with `blobflow run --processor
noop` (release build) at concurrency 4 and 32 and prints events/s.

Give `--old-blobflow PATH` (a release build of an earlier blobflow) to measure it beside this one
on the same mount.

The passthrough is Benchmarks/slowfs/slowfs.c, compiled here against libfuse3: a request per
thread, so the stand-in for the share adds latency without spending the CPU the benchmark
measures (a Python passthrough used more than one of two cores and capped the figures).
Needs root (for /dev/fuse), fuse3, libfuse3-dev and gcc; they are installed with apt-get when
missing.

Usage: sudo python Benchmarks/share_latency_bench.py [--events 2000] [--delay-ms 2] [--skip-build]
       [--old-blobflow PATH]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from consumer_bench import fill, run_blobflow  # noqa: E402
from devstore_bench import ACCOUNT, KEY, start_server  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SLOWFS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "slowfs", "slowfs.c")


def ensure_fuse():
    """Installs fuse3 and libfuse3-dev with apt-get when they are missing."""
    have = shutil.which("fusermount3") and subprocess.run(
        ["pkg-config", "--exists", "fuse3"], capture_output=True).returncode == 0
    if have:
        return
    subprocess.run(["apt-get", "update"], check=True)
    subprocess.run(["apt-get", "install", "-y", "fuse3", "libfuse3-dev", "pkg-config", "gcc"], check=True)


def build_slowfs(folder):
    """Compiles the passthrough (Benchmarks/slowfs/slowfs.c); returns the program's path."""
    program = os.path.join(folder, "slowfs")
    flags = subprocess.run(["pkg-config", "fuse3", "--cflags", "--libs"], capture_output=True, text=True,
                           check=True).stdout.split()
    subprocess.run(["gcc", "-O2", "-o", program, SLOWFS] + flags, check=True)
    return program


def mount(backing, mountpoint, delay_ms, log_path):
    program = build_slowfs(os.path.dirname(log_path))
    log = open(log_path, "w")
    proc = subprocess.Popen([program, backing, mountpoint, str(delay_ms)], stdout=log, stderr=log)
    deadline = time.monotonic() + 20
    while not os.path.ismount(mountpoint):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the FUSE passthrough did not mount: {open(log_path).read()[-2000:]}")
        time.sleep(0.1)
    return proc


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--delay-ms", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 32])
    parser.add_argument("--old-blobflow", help="a release build of an earlier blobflow to measure beside this one")
    parser.add_argument("--blobflow", help="the blobflow to measure (default: this package's release build)")
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    ensure_fuse()
    if not args.skip_build and not args.blobflow:
        subprocess.run(["swift", "build", "-c", "release", "--product", "blobflow"], cwd=ROOT, check=True)
    blobflow = args.blobflow or os.path.join(ROOT, ".build/release/blobflow")
    builds = [("this build", blobflow)] + ([("old build", args.old_blobflow)] if args.old_blobflow else [])

    work = tempfile.mkdtemp(prefix="blobflow-share-bench-")
    backing, mountpoint = os.path.join(work, "backing"), os.path.join(work, "share")
    os.makedirs(backing)
    os.makedirs(mountpoint)
    server, blob_endpoint, queue_endpoint = start_server(blobflow, os.path.join(work, "store"))
    fuse = mount(backing, mountpoint, args.delay_ms, os.path.join(work, "fuse.log"))
    results = []
    try:
        conn = (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                f"BlobEndpoint={blob_endpoint};QueueEndpoint={queue_endpoint};")
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "BLOBFLOW_"))}
        base_env.update({
            "AZURE_STORAGE_CONNECTION_STRING": conn, "BLOBFLOW_LOG_FORMAT": "json", "BLOBFLOW_LOG_LEVEL": "notice",
            "BLOBFLOW_PROCESSOR": "noop", "BLOBFLOW_REPLICA_ID": "bench", "BLOBFLOW_BATCH_SIZE": "32",
            "BLOBFLOW_EXIT_WHEN_IDLE": "2s", "BLOBFLOW_MAX_POLL_INTERVAL": "250ms",
        })
        for build_index, (label, binary) in enumerate(builds):
            for concurrency in args.concurrency:
                queue = f"share-{build_index}-{concurrency}"
                print(f"{label}, concurrency {concurrency}: filling the queue with {args.events} events ...", flush=True)
                fill(conn, queue, args.events, blob_endpoint, first=build_index * 1_000_000 + concurrency * 10_000)
                env = dict(base_env, BLOBFLOW_QUEUE=queue, BLOBFLOW_CONCURRENCY=str(concurrency),
                           BLOBFLOW_CHECKPOINT_DIR=os.path.join(mountpoint, f"checkpoints-{build_index}-{concurrency}"))
                seconds, rss, _ = run_blobflow(binary, env, os.path.join(work, f"{queue}.log"))
                busy = max(0.001, seconds - 2.0)
                results.append((label, concurrency, args.events / busy, busy))
    finally:
        subprocess.run(["fusermount3", "-u", mountpoint])
        fuse.wait(timeout=20)
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\ncheckpoint folder behind a FUSE passthrough adding {args.delay_ms:g} ms to every file operation; "
          f"{args.events} noop events per run, development server on 127.0.0.1, {os.cpu_count()} cores")
    for label, concurrency, rate, busy in results:
        print(f"  {label}, concurrency {concurrency:3d}: {rate:8.0f} events/s   ({busy:.1f} s)")


if __name__ == "__main__":
    main()
