"""`blobflow dev` end to end: drop files into a folder, find their results in the outputs folder.

Each test starts its own `blobflow dev --blob-port 0 --queue-port 0` in a temporary working
directory (relative --drop/--outputs/--location, as a user would run it), waits for the banner,
drives it only through the file system (and `blobflow status` / the Python SDK to look), and
stops it with SIGTERM (or SIGINT), which must exit 0.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Optional

import pytest

from consumer_support import clean_environment
from support import NO_RETRY, blobflow_bin, wait_until

BANNER_END = "Press Ctrl-C to stop."
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
PROCESS_TIMEOUT = 30.0  # drop -> manifest in the outputs folder (seconds are typical)


class DevLoop:
    """One `blobflow dev` process, restartable on the same folders."""

    def __init__(self, root: Path, args=(), env: Optional[dict] = None):
        self.root = root
        self.args = list(args)
        self.env = clean_environment()
        # The sample app's `tr` upper-cases bytes; the C locale makes that exactly bytes.upper().
        self.env["LC_ALL"] = "C"
        self.env.update(env or {})
        self.drop = root / "drop"
        self.outputs = root / "outputs"
        self.location = root / "loc"
        self.env_file = self.location / "dev.env"
        self.proc: Optional[subprocess.Popen] = None
        self.generation = 0
        self.stdout_lines: list = []
        self.exit_codes: list = []
        self._blobs = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "DevLoop":
        self.generation += 1
        self.stderr_path = self.root / f"dev-{self.generation}.stderr.log"
        self._err = open(self.stderr_path, "wb")
        self.stdout_lines = []
        banner = threading.Event()
        cmd = [str(blobflow_bin()), "dev", "--blob-port", "0", "--queue-port", "0",
               "--drop", "drop", "--outputs", "outputs", "--location", "loc", *self.args]
        self.proc = subprocess.Popen(cmd, cwd=str(self.root), env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._err, start_new_session=True)
        self._reader = threading.Thread(target=self._read, args=(self.proc, banner), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not banner.wait(0.05):
            if self.proc.poll() is not None:
                raise AssertionError(f"blobflow dev exited {self.proc.returncode} before its banner\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no banner from blobflow dev after {STARTUP_TIMEOUT}s\n{self.tail()}")
        self._blobs = None
        return self

    def _read(self, proc, banner):
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.stdout_lines.append(line)
            if BANNER_END in line:
                banner.set()

    def stop(self, sig=signal.SIGTERM) -> int:
        """Signal, wait, and require exit status 0."""
        proc = self.proc
        if proc is None:
            return 0
        if proc.poll() is None:
            proc.send_signal(sig)
        try:
            rc = proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
            rc = "killed"
        self._reader.join(2)
        proc.stdout.close()
        self._err.close()
        self.proc = None
        self.exit_codes.append(rc)
        assert rc == 0, f"blobflow dev exited {rc} after {signal.Signals(sig).name} (expected 0)\n{self.tail()}"
        return rc

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # ------------------------------------------------------------------ looking
    def stderr_text(self, generation: Optional[int] = None) -> str:
        path = self.root / f"dev-{generation or self.generation}.stderr.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""

    def tail(self, n: int = 40) -> str:
        err = "\n".join(self.stderr_text().splitlines()[-n:])
        return f"--- stdout ---\n" + "\n".join(self.stdout_lines[-n:]) + f"\n--- stderr tail ---\n{err}"

    def banner_value(self, label: str) -> str:
        for line in self.stdout_lines:
            if line.strip().startswith(label):
                return line.split(":", 1)[1].strip()
        raise AssertionError(f"no {label!r} line in the banner: {self.stdout_lines}")

    def connection_string(self) -> str:
        for line in self.env_file.read_text("utf-8").splitlines():
            if line.startswith("AZURE_STORAGE_CONNECTION_STRING="):
                return line.split("=", 1)[1].strip().strip('"')
        raise AssertionError(f"no connection string in {self.env_file}")

    @property
    def blobs(self):
        if self._blobs is None:
            from azure.storage.blob import BlobServiceClient
            self._blobs = BlobServiceClient.from_connection_string(self.connection_string(), **NO_RETRY)
        return self._blobs

    def status(self) -> dict:
        """`blobflow status --env-file <location>/dev.env --json`, as the banner suggests."""
        p = subprocess.run([str(blobflow_bin()), "status", "--env-file", str(self.env_file), "--json"],
                           cwd=str(self.root), env=clean_environment(), capture_output=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        assert p.returncode == 0, f"blobflow status exited {p.returncode}: {p.stderr.decode(errors='replace')}"
        return json.loads(p.stdout)

    def input_etags(self) -> dict:
        return {b.name: b.etag for b in self.blobs.get_container_client("input").list_blobs()}

    def output_names(self) -> set:
        return {b.name for b in self.blobs.get_container_client("output").list_blobs()}

    def manifest(self, name: str) -> Optional[dict]:
        """outputs/<name>/_manifest.json, parsed (None while it is not there)."""
        path = self.outputs / name / "_manifest.json"
        try:
            return json.loads(path.read_bytes())
        except (FileNotFoundError, ValueError):
            return None

    def wait_manifest(self, name: str, timeout: float = PROCESS_TIMEOUT, etag: Optional[str] = None) -> dict:
        """Wait for outputs/<name>/_manifest.json (for the blob version `etag`, when given)."""
        def ready():
            if not self.alive():
                raise AssertionError(f"blobflow dev exited {self.proc.returncode}\n{self.tail()}")
            m = self.manifest(name)
            if m and (etag is None or m["source"]["eTag"] == etag.strip('"')):
                return m
            return None
        try:
            return wait_until(ready, timeout, 0.1, f"outputs/{name}/_manifest.json")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.tail()}") from None

    def drop_file(self, name: str, data: bytes) -> None:
        path = self.drop / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@pytest.fixture
def dev_loop(tmp_path):
    """Call dev_loop(args=[...], env={...}) for a started `blobflow dev` in a fresh folder. Teardown
    stops whatever still runs (SIGTERM, exit 0 required)."""
    if not blobflow_bin().exists():
        pytest.fail(f"{blobflow_bin()} not built", pytrace=False)
    loops = []

    def factory(args=(), env=None) -> DevLoop:
        root = tmp_path / f"dev{len(loops)}"
        root.mkdir()
        loop = DevLoop(root, args, env)
        loops.append(loop)
        return loop.start()

    yield factory
    problems = []
    for loop in loops:
        if loop.proc is not None:
            try:
                loop.stop()
            except AssertionError as e:
                problems.append(str(e))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def _sample_expectations(name: str, data: bytes) -> dict:
    """What the sample app writes for one input: {relative path: bytes or parsed JSON}."""
    base = name.rsplit("/", 1)[-1]
    return {
        "report.json": {"file": name, "bytes": len(data), "lines": data.count(b"\n"),
                        "md5": hashlib.md5(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()},
        f"transformed/{base}.upper": data.upper(),
    }


def _md5_b64(data: bytes) -> str:
    import base64
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _check_sample_outputs(loop: DevLoop, name: str, data: bytes, etag: str) -> dict:
    """The mirrored folder outputs/<name>/ holds exactly what the sample app wrote, the log and the
    manifest; each local file equals its blob; the manifest names the blob version and lists every
    output with its size and MD5."""
    folder = loop.outputs / name
    expected = _sample_expectations(name, data)
    local = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert local == set(expected) | {"_blobflow.log", "_manifest.json"}, f"outputs/{name}: {sorted(local)}"

    report = json.loads((folder / "report.json").read_bytes())
    assert report == expected["report.json"], (name, report)
    upper_rel = next(k for k in expected if k.startswith("transformed/"))
    assert (folder / upper_rel).read_bytes() == expected[upper_rel], f"{name}: upper-cased copy differs"
    log = (folder / "_blobflow.log").read_text("utf-8", "replace")
    assert f"sample app: {name}: {len(data)} bytes" in log, log

    manifest = json.loads((folder / "_manifest.json").read_bytes())
    assert manifest["exitCode"] == 0 and manifest["processor"] == "command", manifest
    src = manifest["source"]
    assert (src["container"], src["blob"], src["contentLength"]) == ("input", name, len(data)), src
    assert src["eTag"] == etag.strip('"'), (src, etag)
    listed = {o["name"]: o for o in manifest["outputs"]}
    assert set(listed) == {f"{name}/report.json", f"{name}/{upper_rel}"}, sorted(listed)
    for rel in ("report.json", upper_rel):
        content = (folder / rel).read_bytes()
        assert listed[f"{name}/{rel}"]["size"] == len(content), (name, rel)
        assert listed[f"{name}/{rel}"]["md5"] == _md5_b64(content), (name, rel)
    log_bytes = (folder / "_blobflow.log").read_bytes()
    assert manifest["log"] == {"name": f"{name}/_blobflow.log", "size": len(log_bytes), "md5": _md5_b64(log_bytes)}

    # The mirror is faithful: every local file equals the blob of the same name.
    output = loop.blobs.get_container_client("output")
    for rel in local:
        blob = output.get_blob_client(f"{name}/{rel}").download_blob().readall()
        assert blob == (folder / rel).read_bytes(), f"outputs/{name}/{rel} differs from its blob"
    return manifest


@pytest.mark.timeout(60)
def test_dropped_files_become_outputs_and_empty_file_is_dead_lettered(dev_loop):
    """Five files dropped (one in sub-folders, one with spaces and non-ASCII letters, one with URL
    characters, one binary) -> outputs/<name>/ with report.json (size, lines, md5, sha256 of the
    file), transformed/<file>.upper, _blobflow.log and _manifest.json naming the uploaded blob
    version. An empty file is dead-lettered at once (the sample app exits 65): nothing uploaded,
    outputs/empty.txt/_failed.txt says why, and `blobflow status --env-file loc/dev.env --json`
    shows it with poison depth 1."""
    loop = dev_loop()
    banner_app = loop.banner_value("App:")
    assert "sample-app.sh" in banner_app and "{input} {output}" in banner_app, banner_app
    # The banner's command works as pasted into a shell in the same folder (blobflow need not be on PATH).
    pasted = subprocess.run(["/bin/sh", "-c", loop.banner_value("Status:") + " --json"], cwd=str(loop.root),
                            env=clean_environment(), capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert pasted.returncode == 0, (loop.banner_value("Status:"), pasted.stderr.decode(errors="replace"))
    assert json.loads(pasted.stdout)["queue"]["name"] == "blobflow-events"

    files = {
        "hello.txt": b"hello, blobflow\n",
        "sub/dir/data.csv": b"id,name\n1,alpha\n2,beta\n3,gamma\n",
        "spaced name \u00fc\u00df \u20ac.txt": "Gr\u00fc\u00dfe aus K\u00f6ln, line one\nline two\n".encode(),
        "odd #1 %20 & 'q' +=;.log": b"a log line without a newline at the end",
        "random.bin": os.urandom(200 * 1024),
    }
    for name, data in files.items():
        loop.drop_file(name, data)
    loop.drop_file("empty.txt", b"")

    manifests = {name: loop.wait_manifest(name) for name in files}
    etags = loop.input_etags()
    assert set(etags) == set(files) | {"empty.txt"}, sorted(etags)
    # One line per finished file: its name, how long it took, where its outputs are; no step details.
    screen = wait_until(lambda: (t := loop.stderr_text()).count(": done in ") >= len(files) and t, 10, 0.1,
                        "a line per finished file")
    for name in files:
        assert f"{name}: done in " in screen and f"outputs/{name}/" in screen, loop.tail()
    assert "downloaded the input" not in screen and "uploaded a dropped file" not in screen, loop.tail()
    for name, data in files.items():
        _check_sample_outputs(loop, name, data, etags[name])
    assert len({m["source"]["eventId"] for m in manifests.values()}) == len(files)

    def dead_lettered():
        s = loop.status()
        return s if s["poisonQueue"]["approximateMessageCount"] >= 1 else None
    status = wait_until(dead_lettered, PROCESS_TIMEOUT, 0.3, "the empty file in the poison queue")
    assert status["poisonQueue"] == {"name": "blobflow-events-poison", "exists": True, "approximateMessageCount": 1}
    assert status["queue"]["approximateMessageCount"] == 0, status["queue"]
    assert status["checkpoints"]["deadLetterRecords"] == 1, status["checkpoints"]
    assert status["checkpoints"]["byStep"]["dead-lettered"] == 1, status["checkpoints"]
    assert status["checkpoints"]["byStep"]["completed"] == len(files), status["checkpoints"]
    failures = [f for f in status["recentFailures"] if f["blob"] == "input/empty.txt"]
    assert len(failures) == 1, status["recentFailures"]
    failure = failures[0]
    assert failure["attempts"] == 1 and failure["step"] == "dead-lettered", failure
    assert failure["eTag"].strip('"') == etags["empty.txt"].strip('"'), (failure, etags["empty.txt"])
    assert "65" in failure["lastError"] and "empty.txt is empty" in failure["lastError"], failure

    # A failed run uploads nothing, but it leaves outputs/empty.txt/_failed.txt with the reason
    # and the end of the app's log, and the screen says so.
    assert not any(n.startswith("empty.txt/") for n in loop.output_names()), sorted(loop.output_names())
    failed = wait_until(lambda: (loop.outputs / "empty.txt" / "_failed.txt").exists(), 10, 0.1, "outputs/empty.txt/_failed.txt")
    assert failed
    note = (loop.outputs / "empty.txt" / "_failed.txt").read_text()
    assert "dead-lettered" in note and "65" in note and "empty.txt is empty" in note, note
    err = wait_until(lambda: "empty.txt: failed after 1 attempt" in (t := loop.stderr_text()) and t, 10, 0.1,
                     "the failure line")
    assert "dead-lettered" in err and "app-exit-65" in err and "outputs/empty.txt/_failed.txt" in err, loop.tail()
    loop.stop()


@pytest.mark.timeout(60)
def test_changed_file_is_processed_again(dev_loop):
    """Overwriting a dropped file uploads it again; the new blob version gets its own run: the
    mirrored manifest names the new eTag and the outputs beside it describe the new content."""
    loop = dev_loop(args=["--verbose"])  # step details, such as each upload, are shown
    first, second = b"first version\n", b"the second version, longer\nwith two lines\n"
    loop.drop_file("notes.txt", first)
    m1 = loop.wait_manifest("notes.txt")
    etag1 = loop.input_etags()["notes.txt"]
    _check_sample_outputs(loop, "notes.txt", first, etag1)

    loop.drop_file("notes.txt", second)
    etag2 = wait_until(lambda: (e := loop.input_etags()["notes.txt"]) != etag1 and e, PROCESS_TIMEOUT, 0.1,
                       "notes.txt uploaded again")
    m2 = loop.wait_manifest("notes.txt", etag=etag2)
    assert m2["source"]["eTag"] != m1["source"]["eTag"]
    assert m2["source"]["eventId"] != m1["source"]["eventId"]
    # Manifests are mirrored last: once the new one is here, so are the new outputs.
    _check_sample_outputs(loop, "notes.txt", second, etag2)
    status = loop.status()
    assert status["checkpoints"]["byStep"]["completed"] == 2, status["checkpoints"]
    assert status["poisonQueue"]["approximateMessageCount"] == 0
    assert loop.stderr_text().count("uploaded a dropped file") == 2, loop.tail()
    loop.stop()


@pytest.mark.timeout(60)
def test_restart_does_not_upload_unchanged_files_again(dev_loop):
    """Stop (SIGTERM, exit 0) and start `blobflow dev` again with the same --location: the files
    already uploaded are not uploaded again (same input eTags, no new event, no new run), and the
    outputs already mirrored are not downloaded again, while a file dropped after the restart is
    processed as usual."""
    loop = dev_loop(args=["--verbose"])  # step details, such as each upload, are shown
    files = {"a.txt": b"alpha\n", "nested/b.txt": b"beta\n"}
    for name, data in files.items():
        loop.drop_file(name, data)
    before = {name: loop.wait_manifest(name) for name in files}
    etags = loop.input_etags()
    time.sleep(0.7)  # one more mirror pass
    mirrored = {p: p.stat().st_mtime_ns for p in loop.outputs.rglob("*") if p.is_file()}
    loop.stop()

    loop.start()  # same folders, new ports
    loop.drop_file("after.txt", b"dropped after the restart\n")
    loop.wait_manifest("after.txt")
    time.sleep(0.6)  # a few more scans of the drop folder
    assert loop.input_etags() == dict(etags, **{"after.txt": loop.input_etags()["after.txt"]})
    err = loop.stderr_text()
    uploads = [line for line in err.splitlines() if "uploaded a dropped file" in line]
    assert len(uploads) == 1 and "after.txt" in uploads[0], uploads
    for name in files:
        assert loop.manifest(name) == before[name], f"{name} was processed again after the restart"
    again = {p: p.stat().st_mtime_ns for p in mirrored}
    assert again == mirrored, "outputs mirrored before the restart were downloaded again"
    status = loop.status()
    assert status["checkpoints"]["byStep"]["completed"] == 3, status["checkpoints"]
    assert status["queue"]["approximateMessageCount"] == 0, status["queue"]
    loop.stop()


APP = r"""#!/bin/sh
# A custom app for `blobflow dev --command`: records how it was called.
out="$2"
{
  printf 'input=%s\n' "$1"
  printf 'output=%s\n' "$2"
  printf 'name=%s\n' "$3"
  printf 'stem=%s\n' "$4"
  printf 'env_input=%s\n' "$BLOBFLOW_INPUT"
  printf 'env_name=%s\n' "$BLOBFLOW_BLOB_NAME"
  printf 'env_container=%s\n' "$BLOBFLOW_CONTAINER"
} > "$out/args.txt"
env | cut -d= -f1 | sort > "$out/env-names.txt"
mkdir -p "$out/deep/er"
rev < "$1" > "$out/deep/er/reversed.txt"
case "$3" in *reject*) echo "custom app rejects $3" >&2; exit 65;; esac
echo "custom app done: $3"
"""


@pytest.mark.timeout(60)
def test_custom_command(dev_loop, tmp_path):
    """`--command '/bin/sh <app> {input} {output} {name} {stem}'` (a path with a space, quoted as a
    shell would) replaces the sample app: its outputs, sub-folders included, are uploaded and
    mirrored, the placeholders and BLOBFLOW_* variables reach it, no storage secret does, exit 65
    dead-letters, BLOBFLOW_* variables apply, and SIGINT stops the loop with exit 0."""
    app_dir = tmp_path / "my apps"
    app_dir.mkdir()
    app = app_dir / "record args.sh"
    app.write_text(APP)
    loop = dev_loop(args=["--command", f"/bin/sh '{app}' {{input}} {{output}} {{name}} {{stem}}"],
                    env={"BLOBFLOW_CONCURRENCY": "2"})
    assert str(app) in loop.banner_value("App:"), loop.stdout_lines

    loop.drop_file("docs/report.final.md", b"abc\nxyz\n")
    loop.drop_file("reject-me.txt", b"not wanted\n")
    loop.wait_manifest("docs/report.final.md")
    folder = loop.outputs / "docs/report.final.md"
    local = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert local == {"args.txt", "env-names.txt", "deep/er/reversed.txt", "_blobflow.log", "_manifest.json"}, local
    seen = dict(line.split("=", 1) for line in (folder / "args.txt").read_text().splitlines())
    assert seen["input"].endswith("/input/report.final.md") and seen["input"] == seen["env_input"], seen
    assert seen["name"] == seen["env_name"] == "docs/report.final.md", seen
    assert seen["stem"] == "report.final", seen
    assert seen["env_container"] == "input", seen
    assert seen["output"].startswith(str(loop.location.resolve())), seen  # staging lives under --location
    names = set((folder / "env-names.txt").read_text().split())
    assert {"BLOBFLOW_INPUT", "BLOBFLOW_OUTPUT_DIR", "BLOBFLOW_EVENT_ID", "BLOBFLOW_ATTEMPT"} <= names, names
    assert not any(n.startswith("AZURE_STORAGE_") for n in names), names
    assert (folder / "deep/er/reversed.txt").read_bytes() == b"cba\nzyx\n"
    manifest = loop.manifest("docs/report.final.md")
    assert {o["name"] for o in manifest["outputs"]} == {
        "docs/report.final.md/args.txt", "docs/report.final.md/env-names.txt",
        "docs/report.final.md/deep/er/reversed.txt"}, manifest["outputs"]

    status = wait_until(lambda: (s := loop.status())["checkpoints"]["deadLetterRecords"] == 1 and s,
                        PROCESS_TIMEOUT, 0.3, "reject-me.txt dead-lettered")
    assert [f["blob"] for f in status["recentFailures"]] == ["input/reject-me.txt"], status["recentFailures"]
    assert "custom app rejects reject-me.txt" in status["recentFailures"][0]["lastError"]
    assert not any(n.startswith("reject-me.txt/") for n in loop.output_names())

    assert "concurrency=2" in loop.stderr_text(), loop.tail()
    loop.stop(signal.SIGINT)


@pytest.mark.timeout(30)
def test_set_applies(dev_loop):
    """`blobflow dev --set NAME=VALUE` applies like the variable (the help says: "--set apply as for
    'blobflow run'")."""
    loop = dev_loop(args=["--set", "BLOBFLOW_CONCURRENCY=2", "--set", "BLOBFLOW_BATCH_SIZE=5"])
    line = wait_until(lambda: next((l for l in loop.stderr_text().splitlines() if "consuming" in l), None),
                      10, 0.1, "the 'consuming' log line")
    loop.stop()
    assert "concurrency=2" in line and "batch_size=5" in line, line
