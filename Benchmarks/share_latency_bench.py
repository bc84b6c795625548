"""Share-latency benchmark (not a test: it prints figures).

blobflow's checkpoint folder is an Azure Files share in production, where every open, close,
rename, unlink and flush is a network round trip. This benchmark stands in for that: it mounts
the checkpoint folder through a FUSE passthrough that sleeps a fixed time (default 2 ms) in
every file operation, then drains queues of BlobCreated events with `blobflow run --processor
noop` (release build) at concurrency 4 and 32 and prints events/s.

Give `--old-blobflow PATH` (a release build of an earlier blobflow) to measure it beside this one
on the same mount.

Needs root (for /dev/fuse), fuse3 and Debian's python3-fusepy; both are installed with apt-get
when missing. The passthrough runs under Debian's /usr/bin/python3, which is where fusepy lives.

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

PASSTHROUGH = r'''
import errno, os, sys, time
from fusepy import FUSE, FuseOSError, Operations

class Slow(Operations):
    """Every operation sleeps `delay` seconds, then does the real thing in `root`."""
    def __init__(self, root, delay):
        self.root, self.delay = root, delay
    def _full(self, path):
        time.sleep(self.delay)
        return os.path.join(self.root, path.lstrip("/"))
    def _call(self, fn, *args):
        try:
            return fn(*args)
        except OSError as e:
            raise FuseOSError(e.errno)
    def access(self, path, mode):
        if not os.access(self._full(path), mode):
            raise FuseOSError(errno.EACCES)
    def getattr(self, path, fh=None):
        st = self._call(os.lstat, self._full(path))
        return {k: getattr(st, k) for k in ("st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime", "st_nlink", "st_size", "st_uid")}
    def readdir(self, path, fh):
        return [".", ".."] + self._call(os.listdir, self._full(path))
    def mkdir(self, path, mode):
        return self._call(os.mkdir, self._full(path), mode)
    def rmdir(self, path):
        return self._call(os.rmdir, self._full(path))
    def unlink(self, path):
        return self._call(os.unlink, self._full(path))
    def rename(self, old, new):
        return self._call(os.rename, self._full(old), self._full(new))
    def utimens(self, path, times=None):
        return self._call(os.utime, self._full(path), times)
    def chmod(self, path, mode):
        return self._call(os.chmod, self._full(path), mode)
    def truncate(self, path, length, fh=None):
        return self._call(os.truncate, self._full(path), length)
    def statfs(self, path):
        st = os.statvfs(self._full(path))
        return {k: getattr(st, k) for k in ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag", "f_frsize", "f_namemax")}
    def open(self, path, flags):
        return self._call(os.open, self._full(path), flags)
    def create(self, path, mode, fi=None):
        # The kernel asks only after its lookup missed; O_EXCL keeps two racing creators apart.
        return self._call(os.open, self._full(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    def read(self, path, length, offset, fh):
        time.sleep(self.delay)
        os.lseek(fh, offset, os.SEEK_SET)
        return os.read(fh, length)
    def write(self, path, data, offset, fh):
        time.sleep(self.delay)
        os.lseek(fh, offset, os.SEEK_SET)
        return os.write(fh, data)
    def flush(self, path, fh):
        time.sleep(self.delay)
    def fsync(self, path, datasync, fh):
        time.sleep(self.delay)
        return self._call(os.fsync, fh)
    def release(self, path, fh):
        time.sleep(self.delay)
        return os.close(fh)

root, mountpoint, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
FUSE(Slow(root, delay), mountpoint, foreground=True, nothreads=False)
'''


def ensure_fuse():
    """Installs fuse3 and python3-fusepy with apt-get when they are missing."""
    has_fusepy = subprocess.run(["/usr/bin/python3", "-c", "import fusepy"], capture_output=True).returncode == 0
    if shutil.which("fusermount3") and has_fusepy:
        return
    subprocess.run(["apt-get", "update"], check=True)
    subprocess.run(["apt-get", "install", "-y", "fuse3", "python3-fusepy"], check=True)


def mount(backing, mountpoint, delay_ms, log_path):
    script = os.path.join(os.path.dirname(log_path), "passthrough.py")
    with open(script, "w") as f:
        f.write(PASSTHROUGH)
    log = open(log_path, "w")
    proc = subprocess.Popen(["/usr/bin/python3", script, backing, mountpoint, str(delay_ms / 1000)], stdout=log, stderr=log)
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
        subprocess.run(["fusermount", "-u", mountpoint])
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
