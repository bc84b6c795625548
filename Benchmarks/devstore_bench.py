"""Benchmark of the development storage server (not a test: it prints figures).

Starts `blobflow devstore` on free ports in a temporary folder and measures:
  * queue put, get and delete operations per second over keep-alive connections
    (raw HTTP with a queue SAS, several client processes, so the client is not the bottleneck);
  * PUT and GET throughput of one large blob, streamed by curl;
  * the server's peak resident memory (VmHWM) over the whole run.

Usage: python Benchmarks/devstore_bench.py [--blob-mib 1024] [--queue-seconds 5] [--clients 4]
"""
import argparse
import http.client
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def start_server(binary, folder):
    proc = subprocess.Popen(
        [binary, "devstore", "--blob-port", "0", "--queue-port", "0", "--location", folder, "--no-default-subscription",
         "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    blob = queue = None
    for line in proc.stdout:
        if line.startswith("Blob endpoint:"):
            blob = line.split(": ", 1)[1].strip()
        if line.startswith("Queue endpoint:"):
            queue = line.split(": ", 1)[1].strip()
        if line.startswith("Connection string:"):
            break
    return proc, blob, queue


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def queue_worker(args):
    host, port, path, sas, seconds, kind, seed = args
    conn = http.client.HTTPConnection(host, port)
    body = "<QueueMessage><MessageText>" + ("x" * 256) + "</MessageText></QueueMessage>"
    ops = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if kind == "put":
            conn.request("POST", f"{path}/messages?{sas}", body=body, headers={"x-ms-version": "2025-11-05"})
            response = conn.getresponse()
            response.read()
            assert response.status == 201, response.status
            ops += 1
        else:
            conn.request("GET", f"{path}/messages?numofmessages=1&visibilitytimeout=60&{sas}", headers={"x-ms-version": "2025-11-05"})
            response = conn.getresponse()
            text = response.read().decode()
            assert response.status == 200, response.status
            ops += 1
            match = re.search(r"<MessageId>(.*?)</MessageId>.*?<PopReceipt>(.*?)</PopReceipt>", text)
            if not match:
                continue
            conn.request("DELETE", f"{path}/messages/{match.group(1)}?popreceipt={quote(match.group(2), safe='')}&{sas}",
                         headers={"x-ms-version": "2025-11-05"})
            response = conn.getresponse()
            response.read()
            assert response.status == 204, response.status
            ops += 1
    return ops


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.environ.get("BLOBFLOW_BIN", ".build/release/blobflow"))
    parser.add_argument("--blob-mib", type=int, default=1024)
    parser.add_argument("--queue-seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    from azure.storage.queue import QueueClient, generate_queue_sas
    from azure.storage.blob import generate_container_sas, BlobServiceClient

    with tempfile.TemporaryDirectory() as folder:
        proc, blob_endpoint, queue_endpoint = start_server(args.binary, os.path.join(folder, "data"))
        try:
            expiry = datetime.now(timezone.utc) + timedelta(hours=2)
            queue_client = QueueClient(queue_endpoint, "bench", credential=KEY and {"account_name": ACCOUNT, "account_key": KEY})
            queue_client.create_queue()
            queue_sas = generate_queue_sas(ACCOUNT, "bench", KEY, permission="raup", expiry=expiry)
            host, port = queue_endpoint.split("//")[1].split("/")[0].split(":")
            path = f"/{ACCOUNT}/bench"
            print(f"server: {args.binary}")
            with multiprocessing.Pool(args.clients) as pool:
                for kind in ("put", "get+delete"):
                    started = time.monotonic()
                    counts = pool.map(queue_worker, [(host, int(port), path, queue_sas, args.queue_seconds, kind, i) for i in range(args.clients)])
                    elapsed = time.monotonic() - started
                    print(f"queue {kind:<11} {sum(counts) / elapsed:10.0f} operations/s  ({args.clients} keep-alive connections, {elapsed:.1f} s)")

            service = BlobServiceClient(blob_endpoint, credential={"account_name": ACCOUNT, "account_key": KEY})
            service.create_container("bench")
            container_sas = generate_container_sas(ACCOUNT, "bench", KEY, permission="rwc", expiry=expiry)
            source = os.path.join(folder, "big.bin")
            with open(source, "wb") as handle:
                chunk = os.urandom(1024 * 1024)
                for _ in range(args.blob_mib):
                    handle.write(chunk)
            url = f"{blob_endpoint}/bench/big.bin?{container_sas}"
            size = args.blob_mib * 1024 * 1024
            started = time.monotonic()
            subprocess.run(["curl", "-sS", "-f", "-o", "/dev/null", "-T", source, "-H", "x-ms-blob-type: BlockBlob",
                            "-H", "x-ms-version: 2025-11-05", "-H", "Expect:", url], check=True)
            put = size / (time.monotonic() - started) / 1e6
            started = time.monotonic()
            subprocess.run(["curl", "-sS", "-f", "-o", "/dev/null", "-H", "x-ms-version: 2025-11-05", url], check=True)
            get = size / (time.monotonic() - started) / 1e6
            print(f"blob PUT {args.blob_mib} MiB   {put:10.0f} MB/s  (single Put Blob, streamed by curl)")
            print(f"blob GET {args.blob_mib} MiB   {get:10.0f} MB/s")
            print(f"server peak RSS  {peak_rss_mib(proc.pid):10.1f} MiB")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
