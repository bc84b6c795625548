"""Share-latency benchmark (not a test: it prints figures).

blobflow's checkpoint folder is an Azure Files share in production, where every open, close,
rename, unlink and flush is a network round trip. This benchmark stands in for that: it mounts
the checkpoint folder through a FUSE passthrough that sleeps a fixed time (default 2 ms) in
every file operation, then drains queues of BlobCreated events with `blobflow run --processor
noop` (release build) at concurrency 4 and 32 and prints events/s.

Give `--old-blobflow PATH` (a release build of an earlier blobflow) to measure it beside this one
on the same mount.

Then the production configuration end to end (`--files N`, default 200; 0 skips it): N small files
(1-10 KiB) uploaded into `input` of a development server with its Event Grid subscription, run
through the command processor and the sample app at concurrency 8, once per configuration:
checkpoints on the share and the work folder on local disk (the image's settings) with
`BLOBFLOW_TRANSFER=auto` (small files go through blobflow's engine) and with `azcopy`, and with
the work folder on the share too. It prints files/s, the mean seconds per step from the
manifests, and the file operations per file on the share (every system call naming a path or
descriptor under the mount, counted with `strace -f -y` over 40 more files in a new checkpoint
folder, so including the fan-out folders made on the way: blobflow's, the app's and azcopy's),
with the calls they were. (In a folder in use, blobflow's start-up scan of the folder, which
reads every record once, would be counted too.)

The passthrough is Benchmarks/slowfs/slowfs.c, compiled here against libfuse3: a request per
thread, so the stand-in for the share adds latency without spending the CPU the benchmark
measures (a Python passthrough used more than one of two cores and capped the figures).
Needs root (for /dev/fuse), fuse3, libfuse3-dev and gcc; they are installed with apt-get when
missing.

Usage: sudo python Benchmarks/share_latency_bench.py [--events 2000] [--delay-ms 2] [--skip-build]
       [--old-blobflow PATH] [--files 200]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from consumer_bench import fill, run_blobflow  # noqa: E402
from devstore_bench import ACCOUNT, KEY, start_server  # noqa: E402
from processor_bench import run_engine, small_files, start_devstore, upload_all, queue_depth  # noqa: E402

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


CONFIGURATIONS = [
    # (label, BLOBFLOW_TRANSFER, work folder on the share)
    ("auto, work folder on local disk (the image's settings)", "auto", False),
    ("azcopy, work folder on local disk", "azcopy", False),
    ("auto, work folder on the share", "auto", True),
]


def production_runs(blobflow, mountpoint, work, count, seed=11):
    """The command processor and the sample app with checkpoints on the share; see the docstring."""
    folder = os.path.join(work, "processor-store")
    server, blob, queue = start_devstore(blobflow, folder)
    conn = (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
            f"BlobEndpoint={blob};QueueEndpoint={queue};")
    results = []
    try:
        for index, (label, engine, work_on_share) in enumerate(CONFIGURATIONS):
            for traced in (False, True):
                files = small_files(f"share{index}{'t' if traced else ''}", 40 if traced else count, seed + index)
                print(f"{label}{', traced' if traced else ''}: uploading {len(files)} files ...", flush=True)
                upload_all(conn, files)
                deadline = time.monotonic() + 60
                while queue_depth(conn) < len(files) and time.monotonic() < deadline:
                    time.sleep(0.2)
                share = os.path.join(mountpoint, f"production-{index}{'-traced' if traced else ''}")
                local = os.path.join(work, f"local-work-{index}{'-traced' if traced else ''}")
                trace = os.path.join(work, f"production-{index}.strace")
                wrapper = ["strace", "-f", "-y", "-qq", "-e", "trace=%file,%desc", "-o", trace] if traced else ()
                result = run_engine(blobflow, conn, work, engine, files, 8, tag=f"-share{index}",
                                    checkpoint_dir=share, work_dir=(share + "/work") if work_on_share else local,
                                    wrapper=wrapper)
                if result["missing"]:
                    raise RuntimeError(f"{len(result['missing'])} files got no manifest ({label})")
                if traced:
                    names = {}
                    with open(trace, errors="replace") as lines:
                        for line in lines:
                            match = re.match(r"^\d+\s+(\w+)\(", line) if mountpoint in line else None
                            if match:
                                names[match.group(1)] = names.get(match.group(1), 0) + 1
                    results[-1]["operations"] = sum(names.values()) / len(files)
                    results[-1]["by_call"] = {name: count / len(files) for name, count in names.items()}
                else:
                    result["label"] = label
                    results.append(result)
    finally:
        server.terminate()
        server.wait()
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--delay-ms", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 32])
    parser.add_argument("--old-blobflow", help="a release build of an earlier blobflow to measure beside this one")
    parser.add_argument("--blobflow", help="the blobflow to measure (default: this package's release build)")
    parser.add_argument("--files", type=int, default=200,
                        help="small files through the command processor per configuration (0: none)")
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
        production = production_runs(blobflow, mountpoint, work, args.files) if args.files else []
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
    if production:
        print(f"\n{args.files} files of 1-10 KiB through the command processor and the sample app, concurrency 8, "
              f"checkpoints on the same share ({args.delay_ms:g} ms per operation)")
        for result in production:
            steps = result["steps"]
            print(f"  {result['label']}: {result['files'] / result['busy']:6.1f} files/s; per file: download "
                  f"{steps['download']:.3f} s, app {steps['process']:.3f} s, upload {steps['upload']:.3f} s; "
                  f"{result['operations']:.0f} file operations on the share; peak RSS {result['rss']:.0f} MiB")
            print("      per file: " + ", ".join(f"{name} {count:.1f}" for name, count in
                                             sorted(result["by_call"].items(), key=lambda item: -item[1])))


if __name__ == "__main__":
    main()
