"""Processor benchmark (not a test: it prints figures).

Release build. Two measures of the whole per-file path (download, run the app, upload the outputs
and `_manifest.json`):

1. Throughput of `blobflow run`. Starts the development server on free ports with its default
   Event Grid subscription (`input` -> `blobflow-events`), uploads N small files (1-10 KiB) into
   `input` with the Azure SDK for Python, then runs `blobflow run --exit-when-idle 3s` with the
   command processor and the sample app (`scripts/sample-app/app.sh`: report.json and an
   upper-cased copy) at the given concurrency, once per transfer engine
   (`BLOBFLOW_TRANSFER=native`, then `azcopy` with `BLOBFLOW_AZCOPY=.venv/bin/azcopy`), each on
   its own batch of files. Prints files/s (process start to the newest manifest's completedAt),
   the peak RSS of blobflow from os.wait4 (which on Linux includes the children it reaped: the
   app, and azcopy) and blobflow's own VmHWM sampled from /proc, the CPU time per file of blobflow
   with its children (os.wait4) and of the whole machine (/proc/stat, the development server
   included), and checks that every file got a manifest.
2. One large file per engine (--large-mib, 1024 by default; 0 skips it): uploads one blob of that
   size, runs `blobflow run` with a pass-through app (`cp` of the input into the output folder),
   and prints download and upload MB/s from the manifest's step timings, and the peak of blobflow's
   RSS plus that of every azcopy it runs at the same moment (sampled from /proc every 20 ms).
3. Latency of `blobflow dev` (default settings, free ports): uploads files one at a time with the
   SDK (not through the drop folder), after a random pause of up to --gap-max seconds so uploads
   land at any point of the consumer's poll cycle, and measures upload completed -> the file's
   `_manifest.json` exists in the output container (polled with the SDK every 20 ms). Prints p50
   and p95 (target: p50 < 1.5 s).

3. Latency of `blobflow dev` as a user sees it: files written into drop/ one at a time (same
   random pauses); from the moment a file's write ends to its outputs/<name>/_manifest.json on
   disk. Prints p50 and p95 (target: p50 <= 0.5 s).

Usage: python Benchmarks/processor_bench.py [--files 500] [--concurrency 8] [--engines native,azcopy]
                                            [--large-mib 1024] [--latency-files 50] [--drop-files 30] [--gap-max 1.0]
                                            [--skip-build] [--blobflow PATH]
"""
import argparse
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

sys.path.insert(0, os.path.dirname(__file__))
from devstore_bench import ACCOUNT, KEY  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_APP = os.path.join(ROOT, "scripts", "sample-app", "app.sh")
AZCOPY = os.path.join(ROOT, ".venv", "bin", "azcopy")
IDLE = 3.0


def start_devstore(binary, folder):
    """`blobflow devstore` on free ports, with the default subscription (input -> blobflow-events)."""
    proc = subprocess.Popen([binary, "devstore", "--blob-port", "0", "--queue-port", "0", "--location", folder,
                             "--log-level", "warning"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    blob = queue = None
    for line in proc.stdout:
        if line.startswith("Blob endpoint:"):
            blob = line.split(": ", 1)[1].strip()
        if line.startswith("Queue endpoint:"):
            queue = line.split(": ", 1)[1].strip()
        if line.startswith("Connection string:"):
            break
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # keep draining
    return proc, blob, queue


def small_files(prefix, count, seed):
    rng = random.Random(seed)
    words = [b"alpha", b"beta", b"gamma", b"delta", b"blob", b"flow", b"Event", b"Grid", b"\n"]
    files = {}
    for index in range(count):
        size = rng.randint(1024, 10 * 1024)
        data = b" ".join(rng.choice(words) for _ in range(size // 4 + 1))[:size]
        files[f"{prefix}/{index:04d}.txt"] = data
    return files


def upload_all(conn, files, threads=8):
    from azure.storage.blob import BlobServiceClient
    service = BlobServiceClient.from_connection_string(conn)
    container = service.get_container_client("input")

    def put(item):
        name, data = item
        container.upload_blob(name, data, overwrite=True)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, files.items()))


def queue_depth(conn, name="blobflow-events"):
    from azure.storage.queue import QueueClient
    return QueueClient.from_connection_string(conn, name).get_queue_properties().approximate_message_count


def vmhwm_sampler(pid, result, stop):
    """Keeps result[0] at the largest VmHWM (MiB) seen in /proc/pid/status."""
    while not stop.is_set():
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        result[0] = max(result[0], int(line.split()[1]) / 1024)
        except OSError:
            return
        time.sleep(0.05)


def combined_rss_sampler(pid, result, stop):
    """Keeps result[0] at the largest sum (MiB) of VmRSS of `pid` and its azcopy children."""
    def rss(p):
        try:
            with open(f"/proc/{p}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    while not stop.is_set():
        total = rss(pid)
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as listing:
                children = listing.read().split()
        except OSError:
            return
        for child in children:
            try:
                with open(f"/proc/{child}/comm") as comm:
                    if comm.read().strip() == "azcopy":
                        total += rss(child)
            except OSError:
                pass
        result[0] = max(result[0], total)
        time.sleep(0.02)


def machine_busy_seconds():
    """CPU seconds every core has spent busy since boot (all but idle and iowait), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def run_engine(blobflow, conn, work, engine, files, concurrency, command=None, sampler_target=vmhwm_sampler, tag="",
               checkpoint_dir=None, work_dir=None, wrapper=()):
    """One `blobflow run` over the queued events; returns a dict of figures. The checkpoint and work
    folders default to folders in `work`; `wrapper` is a command line to run blobflow under."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "BLOBFLOW_"))}
    env.update({
        "AZURE_STORAGE_CONNECTION_STRING": conn,
        "BLOBFLOW_PROCESSOR": "command",
        "BLOBFLOW_COMMAND": command or f"/bin/sh {SAMPLE_APP} {{input}} {{output}}",
        "BLOBFLOW_CONCURRENCY": str(concurrency),
        "BLOBFLOW_TRANSFER": engine,
        "BLOBFLOW_AZCOPY": AZCOPY,
        "BLOBFLOW_CHECKPOINT_DIR": checkpoint_dir or os.path.join(work, f"checkpoints-{engine}{tag}"),
        "BLOBFLOW_WORK_DIR": work_dir or os.path.join(work, f"work-{engine}{tag}"),
        "BLOBFLOW_MAX_POLL_INTERVAL": "250ms",
        "BLOBFLOW_REPLICA_ID": "bench",
        "BLOBFLOW_LOG_FORMAT": "json",
        "BLOBFLOW_LOG_LEVEL": "notice",
    })
    log_path = os.path.join(work, f"run-{engine}{tag}.log")
    hwm, stop = [0.0], threading.Event()
    machine_before = machine_busy_seconds()
    started_wall, started = time.time(), time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(list(wrapper) + [blobflow, "run", "--exit-when-idle", f"{IDLE:g}s"], env=env,
                                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        sampler = threading.Thread(target=sampler_target, args=(proc.pid, hwm, stop), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    machine = machine_busy_seconds() - machine_before
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"blobflow run ({engine}) exited {proc.returncode}: {open(log_path).read()[-3000:]}")

    from azure.storage.blob import BlobServiceClient
    output = BlobServiceClient.from_connection_string(conn).get_container_client("output")
    prefix = next(iter(files)).split("/", 1)[0] + "/"
    manifests = {}
    for item in output.list_blobs(name_starts_with=prefix):
        if item.name.endswith("/_manifest.json"):
            manifests[item.name[: -len("/_manifest.json")]] = item
    missing = sorted(set(files) - set(manifests))
    newest = 0.0
    exit_codes = set()
    steps = {"download": [], "process": [], "upload": []}
    with ThreadPoolExecutor(8) as pool:
        for body in pool.map(lambda n: output.download_blob(f"{n}/_manifest.json").readall(), sorted(manifests)):
            manifest = json.loads(body)
            exit_codes.add(manifest["exitCode"])
            for step, values in steps.items():
                values.append(manifest["timings"][step])
            newest = max(newest, datetime.fromisoformat(manifest["completedAt"].replace("Z", "+00:00")).timestamp())
    dead = os.path.join(checkpoint_dir or os.path.join(work, f"checkpoints-{engine}{tag}"), "deadletters")
    return {
        "engine": engine, "files": len(files), "manifests": len(manifests), "missing": missing,
        "exit_codes": exit_codes, "dead_letters": len(os.listdir(dead)) if os.path.isdir(dead) else 0,
        "busy": newest - started_wall, "elapsed": elapsed, "rss": usage.ru_maxrss / 1024, "hwm": hwm[0],
        "cpu": usage.ru_utime + usage.ru_stime, "machine_cpu": machine,
        "steps": {step: statistics.mean(values) if values else float("nan") for step, values in steps.items()},
    }


def large_file(blobflow, conn, work, engine, mib):
    """One file of `mib` MiB through a pass-through app; returns download and upload MB/s and the
    peak combined RSS of blobflow and azcopy."""
    from azure.storage.blob import BlobServiceClient
    name = f"large-{engine}/big.bin"
    source = os.path.join(work, "big.bin")
    if not os.path.exists(source):
        with open(source, "wb") as out:
            chunk = os.urandom(1 << 20)
            for _ in range(mib):
                out.write(chunk)
    with open(source, "rb") as data:
        BlobServiceClient.from_connection_string(conn).get_blob_client("input", name).upload_blob(
            data, overwrite=True, max_concurrency=4)
    deadline = time.monotonic() + 30
    while queue_depth(conn) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    result = run_engine(blobflow, conn, work, engine, {name: b""}, 1, command="/bin/cp {input} {output}/copy.bin",
                        sampler_target=combined_rss_sampler, tag="-large")
    if result["missing"]:
        raise RuntimeError(f"the large file got no manifest with the {engine} engine")
    size = mib * 1024 * 1024
    result["download_mbs"] = size / result["steps"]["download"] / 1e6
    result["upload_mbs"] = size / result["steps"]["upload"] / 1e6
    return result


def start_dev(blobflow, folder, stderr_path):
    """`blobflow dev` in a new `folder` with free ports and default settings, once its banner is out."""
    os.makedirs(folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "BLOBFLOW_"))}
    proc = subprocess.Popen([blobflow, "dev", "--blob-port", "0", "--queue-port", "0", "--drop", "drop",
                             "--outputs", "outputs", "--location", "loc"], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=open(stderr_path, "wb"), text=True)
    for line in proc.stdout:
        if "Press Ctrl-C to stop." in line:
            return proc
    raise RuntimeError(f"blobflow dev exited {proc.wait()} before its banner")


def latency_in_dev(blobflow, work, count, gap_max, seed):
    """Upload -> manifest latencies (seconds) under `blobflow dev` with default settings."""
    from azure.storage.blob import BlobServiceClient
    folder = os.path.join(work, "dev")
    proc = start_dev(blobflow, folder, os.path.join(work, "dev.stderr.log"))
    try:
        conn = None
        with open(os.path.join(folder, "loc", "dev.env")) as env_file:
            for line in env_file:
                if line.startswith("AZURE_STORAGE_CONNECTION_STRING="):
                    conn = line.split("=", 1)[1].strip().strip('"')
        service = BlobServiceClient.from_connection_string(conn)
        input_container = service.get_container_client("input")
        output = service.get_container_client("output")
        rng = random.Random(seed)
        files = small_files("latency", count, seed)
        latencies = []
        for name, data in files.items():
            time.sleep(rng.uniform(0, gap_max))
            input_container.upload_blob(name, data, overwrite=True)
            uploaded = time.monotonic()
            manifest = output.get_blob_client(f"{name}/_manifest.json")
            deadline = uploaded + 60
            while not manifest.exists():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no manifest for {name} after 60 s")
                time.sleep(0.02)
            latencies.append(time.monotonic() - uploaded)
        return latencies
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        if code != 0:
            print(f"warning: blobflow dev exited {code} after SIGTERM", file=sys.stderr)


def drop_latency_in_dev(blobflow, work, count, gap_max, seed):
    """Drop -> manifest latencies (seconds) under `blobflow dev` with default settings, as a user
    sees them: each file is written into drop/ (open, write, close), and the clock starts when
    the write ends; it stops when outputs/<name>/_manifest.json appears on disk (polled every 5 ms)."""
    folder = os.path.join(work, "dev-drop")
    proc = start_dev(blobflow, folder, os.path.join(work, "dev-drop.stderr.log"))
    try:
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # keep draining
        rng = random.Random(seed + 1)
        latencies = []
        for name, data in small_files("dropped", count, seed + 1).items():
            time.sleep(rng.uniform(0, gap_max))
            path = os.path.join(folder, "drop", name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            written = time.monotonic()
            manifest = os.path.join(folder, "outputs", name, "_manifest.json")
            while not os.path.exists(manifest):
                if time.monotonic() > written + 60:
                    raise RuntimeError(f"no outputs/{name}/_manifest.json after 60 s")
                time.sleep(0.005)
            latencies.append(time.monotonic() - written)
        return latencies
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        if code != 0:
            print(f"warning: blobflow dev exited {code} after SIGTERM", file=sys.stderr)


def percentile(values, fraction):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(fraction * len(ordered)))) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--engines", default="native,azcopy")
    parser.add_argument("--large-mib", type=int, default=1024)
    parser.add_argument("--latency-files", type=int, default=50)
    parser.add_argument("--gap-max", type=float, default=1.0)
    parser.add_argument("--drop-files", type=int, default=30,
                        help="files written into blobflow dev's drop folder, one at a time (0 skips)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--blobflow", "--binary", dest="blobflow",
                        help="measure this blobflow binary instead of building the release one")
    args = parser.parse_args()
    if not args.skip_build and not args.blobflow:
        subprocess.run(["swift", "build", "-c", "release", "--product", "blobflow"], cwd=ROOT, check=True)
    blobflow = os.path.abspath(args.blobflow) if args.blobflow else os.path.join(ROOT, ".build/release/blobflow")
    work = tempfile.mkdtemp(prefix="blobflow-processor-bench-")
    results = []
    large = []
    try:
        server, blob_endpoint, queue_endpoint = start_devstore(blobflow, os.path.join(work, "store"))
        try:
            conn = (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                    f"BlobEndpoint={blob_endpoint};QueueEndpoint={queue_endpoint};")
            for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
                files = small_files(engine, args.files, args.seed)
                print(f"uploading {len(files)} files for the {engine} engine ...", flush=True)
                upload_all(conn, files)
                deadline = time.monotonic() + 30
                while queue_depth(conn) < len(files) and time.monotonic() < deadline:
                    time.sleep(0.1)
                print(f"  {queue_depth(conn)} events queued; blobflow run --exit-when-idle {IDLE:g}s, "
                      f"BLOBFLOW_TRANSFER={engine} ...", flush=True)
                results.append(run_engine(blobflow, conn, work, engine, files, args.concurrency))
            for engine in [e.strip() for e in args.engines.split(",") if e.strip()] if args.large_mib > 0 else []:
                print(f"one {args.large_mib} MiB file, BLOBFLOW_TRANSFER={engine} ...", flush=True)
                large.append(large_file(blobflow, conn, work, engine, args.large_mib))
        finally:
            server.terminate()
            server.wait()

        latencies = []
        if args.latency_files > 0:
            print(f"blobflow dev: {args.latency_files} files uploaded one at a time ...", flush=True)
            latencies = latency_in_dev(blobflow, work, args.latency_files, args.gap_max, args.seed)

        drop_latencies = []
        if args.drop_files > 0:
            print(f"blobflow dev: {args.drop_files} files written into drop/ one at a time ...", flush=True)
            drop_latencies = drop_latency_in_dev(blobflow, work, args.drop_files, args.gap_max, args.seed)

        print(f"\nprocessor, {args.files} files of 1-10 KiB, sample app, development server on 127.0.0.1, "
              f"{os.cpu_count()} cores")
        for r in results:
            check = "every file has a manifest" if not r["missing"] else \
                f"MISSING {len(r['missing'])} manifests, e.g. {r['missing'][:3]}"
            print(f"  blobflow run, BLOBFLOW_TRANSFER={r['engine']}, concurrency {args.concurrency}:")
            print(f"      {r['files'] / r['busy']:8.1f} files/s   ({r['busy']:.1f} s to the last manifest; "
                  f"{r['elapsed']:.1f} s with the {IDLE:g} s idle exit)")
            print(f"      peak RSS {r['rss']:.1f} MiB (wait4, with reaped children); blobflow's own VmHWM {r['hwm']:.1f} MiB")
            print(f"      CPU per file: {r['cpu'] * 1000 / r['files']:.1f} ms in blobflow, azcopy and the app (wait4); "
                  f"{r['machine_cpu'] * 1000 / r['files']:.1f} ms on the whole machine, development server included")
            print("      mean seconds per file: " + ", ".join(f"{k} {v:.3f}" for k, v in r["steps"].items())
                  + " (from the manifests' timings)")
            print(f"      {r['manifests']}/{r['files']} manifests, app exit codes {sorted(r['exit_codes'])}, "
                  f"{r['dead_letters']} dead letters: {check}")
        for r in large:
            print(f"  one {args.large_mib} MiB file through `cp`, BLOBFLOW_TRANSFER={r['engine']}: download "
                  f"{r['download_mbs']:.0f} MB/s ({r['steps']['download']:.2f} s), upload {r['upload_mbs']:.0f} MB/s "
                  f"({r['steps']['upload']:.2f} s); peak RSS of blobflow + azcopy {r['hwm']:.1f} MiB")
        if latencies:
            print(f"  blobflow dev, default settings, upload -> _manifest.json in 'output' "
                  f"({len(latencies)} files, one at a time, 0-{args.gap_max:g} s apart):")
            print(f"      p50 {statistics.median(latencies):.3f} s   p95 {percentile(latencies, 0.95):.3f} s   "
                  f"min {min(latencies):.3f} s   max {max(latencies):.3f} s   (target p50 < 1.5 s)")
        if drop_latencies:
            print(f"  blobflow dev, default settings, file written into drop/ -> outputs/<name>/_manifest.json "
                  f"({len(drop_latencies)} files, one at a time, 0-{args.gap_max:g} s apart):")
            print(f"      p50 {statistics.median(drop_latencies):.3f} s   p95 {percentile(drop_latencies, 0.95):.3f} s   "
                  f"min {min(drop_latencies):.3f} s   max {max(drop_latencies):.3f} s   (target p50 <= 0.5 s)")
        if any(r["missing"] for r in results):
            return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
