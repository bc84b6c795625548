"""Shared helpers for the blobflow devstore interoperability suite.

The suite judges `blobflow devstore` (an Azurite-like Azure Blob + Queue emulator with Event Grid
emulation) using Microsoft's own clients: the Azure SDKs for Python and azcopy. This module holds
everything the test files share: starting and stopping the server, building SDK clients, raw HTTP
requests, Azure error parsing and small polling utilities.
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import signal
import subprocess
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".build" / "debug" / "blobflow"

DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

# The topic every emulated event carries (fixed by the server's contract).
DEV_TOPIC = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devstore/"
    "providers/Microsoft.Storage/storageAccounts/devstoreaccount1"
)

# Client options used for every SDK client in the non-fault tests: no retries (a server that only
# works thanks to retries is a bug we want to see) and bounded timeouts (a hang fails, not stalls).
NO_RETRY = {"retry_total": 0, "connection_timeout": 5, "read_timeout": 30}

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def blobflow_bin() -> Path:
    """Path of the server binary: $BLOBFLOW_BIN or .build/debug/blobflow."""
    return Path(os.environ.get("BLOBFLOW_BIN", str(DEFAULT_BIN)))


def unique(prefix: str = "t") -> str:
    """A fresh lower-case name valid for containers and queues (3-63 chars, [a-z0-9-])."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def parse_connection_string(cs: str) -> dict:
    """Split `k=v;k=v;` into a dict (values may themselves contain '=')."""
    out = {}
    for part in cs.strip().split(";"):
        if not part:
            continue
        k, _, v = part.partition("=")
        out[k.strip()] = v.strip()
    return out


def random_key() -> str:
    """A base64 account key like Azure's (64 random bytes)."""
    return base64.b64encode(os.urandom(64)).decode()


@dataclass
class DevStore:
    """One running `blobflow devstore` process and what it printed about itself."""

    location: Path
    workdir: Path
    args: list = field(default_factory=list)
    env_extra: dict = field(default_factory=dict)
    proc: Optional[subprocess.Popen] = None
    connection_string: str = ""
    blob_endpoint: str = ""
    queue_endpoint: str = ""
    account_name: str = DEV_ACCOUNT
    account_key: str = DEV_KEY
    stdout_lines: list = field(default_factory=list)
    generation: int = 0
    exit_codes: list = field(default_factory=list)

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> "DevStore":
        """Start the server on free ports and wait for its "Connection string:" line."""
        binary = blobflow_bin()
        if not binary.exists():
            raise RuntimeError(f"server binary {binary} does not exist (build it or set BLOBFLOW_BIN)")
        self.generation += 1
        env = dict(os.environ)
        env.update(self.env_extra)
        cmd = [
            str(binary), "devstore", "--host", "127.0.0.1", "--blob-port", "0", "--queue-port", "0",
            "--location", str(self.location), *self.args,
        ]
        self.stdout_path = self.workdir / f"server-{self.generation}.stdout.log"
        self.stderr_path = self.workdir / f"server-{self.generation}.stderr.log"
        self._stderr_file = open(self.stderr_path, "wb")
        self.stdout_lines = []
        self.connection_string = ""
        ready = threading.Event()
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self._stderr_file, stdin=subprocess.DEVNULL, env=env,
            cwd=str(self.workdir),
        )
        self._reader = threading.Thread(
            target=self._read_stdout, args=(self.proc, ready), daemon=True, name="devstore-stdout")
        self._reader.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not ready.wait(0.05):
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode} before becoming ready\n{self.output_tail()}")
            if time.monotonic() > deadline:
                self._kill()
                raise RuntimeError(f"server not ready after {STARTUP_TIMEOUT}s\n{self.output_tail()}")
        cs = parse_connection_string(self.connection_string)
        self.account_name = cs.get("AccountName", DEV_ACCOUNT)
        self.account_key = cs.get("AccountKey", DEV_KEY)
        self.blob_endpoint = self.blob_endpoint or cs["BlobEndpoint"]
        self.queue_endpoint = self.queue_endpoint or cs["QueueEndpoint"]
        return self

    def _read_stdout(self, proc: subprocess.Popen, ready: threading.Event) -> None:
        with open(self.stdout_path, "wb") as log:
            for raw in iter(proc.stdout.readline, b""):
                log.write(raw)
                log.flush()
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self.stdout_lines.append(line)
                if line.startswith("Blob endpoint:"):
                    self.blob_endpoint = line.split(":", 1)[1].strip()
                elif line.startswith("Queue endpoint:"):
                    self.queue_endpoint = line.split(":", 1)[1].strip()
                elif line.startswith("Connection string:"):
                    self.connection_string = line.split(":", 1)[1].strip()
                    ready.set()

    def stop(self) -> int:
        """SIGTERM, wait up to 10 s, then SIGKILL. Returns (and records) the exit code."""
        if self.proc is None:
            return 0
        proc = self.proc
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill()
                self.exit_codes.append("killed-after-sigterm-timeout")
                self._close()
                return -9
        self.exit_codes.append(proc.returncode)
        self._close()
        return proc.returncode

    def _kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def _close(self) -> None:
        if self.proc is not None:
            self._reader.join(2)
            if self.proc.stdout:
                self.proc.stdout.close()
        self._stderr_file.close()
        self.proc = None

    def restart(self) -> "DevStore":
        """Stop cleanly and start again on the same --location (ports change)."""
        code = self.stop()
        if code != 0:
            raise AssertionError(f"server exit code {code} on SIGTERM (expected 0)\n{self.output_tail()}")
        return self.start()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def assert_alive(self) -> None:
        """Fail if the process has died, and prove it still answers a trivial request."""
        assert self.alive(), f"server died (exit {self.proc and self.proc.returncode})\n{self.output_tail()}"
        status, _, _ = raw_request("GET", self.blob_endpoint + "?comp=list&" + self.account_sas(), timeout=10)
        assert status == 200, f"server alive but List Containers answered {status}"

    def output_tail(self, n: int = 40) -> str:
        err = ""
        try:
            err = Path(self.stderr_path).read_text("utf-8", "replace")
        except Exception:
            pass
        err_tail = "\n".join(err.splitlines()[-n:])
        out_tail = "\n".join(self.stdout_lines[-n:])
        return f"--- stdout tail ---\n{out_tail}\n--- stderr tail ---\n{err_tail}"

    # ---------------------------------------------------------------- clients
    @property
    def blob_port(self) -> int:
        return urllib.parse.urlsplit(self.blob_endpoint).port

    @property
    def queue_port(self) -> int:
        return urllib.parse.urlsplit(self.queue_endpoint).port

    def blob_service(self, **kw):
        from azure.storage.blob import BlobServiceClient
        opts = dict(NO_RETRY)
        opts.update(kw)
        return BlobServiceClient.from_connection_string(self.connection_string, **opts)

    def queue_service(self, **kw):
        from azure.storage.queue import QueueServiceClient
        opts = dict(NO_RETRY)
        opts.update(kw)
        return QueueServiceClient.from_connection_string(self.connection_string, **opts)

    def account_sas(self, services: str = "bq") -> str:
        """An account SAS with every permission, valid for an hour (for raw HTTP requests)."""
        return make_account_sas(self.account_name, self.account_key, services)


def make_account_sas(account: str, key: str, services: str = "bq", hours: float = 1.0) -> str:
    """Full-permission account SAS (ss=services) built by the SDK's own generate_account_sas."""
    from datetime import datetime, timedelta, timezone
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas
    expiry = datetime.now(timezone.utc) + timedelta(hours=hours)
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    return generate_account_sas(
        account, key,
        resource_types=ResourceTypes(service=True, container=True, object=True),
        permission=AccountSasPermissions(read=True, write=True, delete=True, list=True, add=True,
                                         create=True, update=True, process=True),
        expiry=expiry, start=start, services=services,
    )


# ------------------------------------------------------------------- raw HTTP
def raw_request(method: str, url: str, body: bytes | str | None = None, headers: dict | None = None,
                timeout: float = 30) -> tuple[int, dict, bytes]:
    """Send exactly this request line (the path is NOT normalised or re-encoded).

    Returns (status, headers with lower-case names, body). x-ms-version defaults to 2021-08-06.
    """
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (("?" + parts.query) if parts.query else "")
    hdrs = {"x-ms-version": "2021-08-06", "x-ms-date": http_date()}
    if headers:
        hdrs.update(headers)
    if isinstance(body, str):
        body = body.encode("utf-8")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        if body is not None and not any(k.lower() == "content-length" for k in hdrs):
            hdrs["Content-Length"] = str(len(body))
        elif body is None and method in ("PUT", "POST") and not any(k.lower() == "content-length" for k in hdrs):
            hdrs["Content-Length"] = "0"
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def http_date() -> str:
    from email.utils import formatdate
    return formatdate(usegmt=True)


def error_code_in_body(body: bytes) -> Optional[str]:
    """The <Code> of an Azure XML error body, or None."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    if root.tag != "Error":
        return None
    code = root.find("Code")
    return code.text if code is not None else None


def assert_azure_error(status: int, headers: dict, body: bytes, expected_status, expected_codes) -> str:
    """Check an Azure error reply: status, x-ms-error-code header and <Code> in the XML body agree.

    expected_status / expected_codes may be a single value or a collection of acceptable ones;
    expected_codes=None accepts any code (the header must still be present and match the body).
    Returns the error code seen.
    """
    statuses = (expected_status,) if isinstance(expected_status, int) else tuple(expected_status)
    header_code = headers.get("x-ms-error-code")
    body_code = error_code_in_body(body) if body else None
    desc = f"status={status} x-ms-error-code={header_code!r} body-code={body_code!r} body={body[:300]!r}"
    assert status in statuses, f"expected status {statuses}, got {desc}"
    if expected_codes is None:
        assert header_code, f"expected an x-ms-error-code, got {desc}"
    else:
        codes = (expected_codes,) if isinstance(expected_codes, str) else tuple(expected_codes)
        assert header_code in codes, f"expected x-ms-error-code in {codes}, got {desc}"
    if status != 304 and headers.get("content-length", "1") != "0" and body:
        assert body_code == header_code, f"<Code> in body disagrees with header: {desc}"
    assert headers.get("x-ms-request-id"), f"no x-ms-request-id on error reply: {desc}"
    return header_code


def sdk_error_desc(exc) -> str:
    """A one-line description of an azure-core HttpResponseError for assertion messages."""
    resp = getattr(exc, "response", None)
    status = getattr(resp, "status_code", None)
    return f"{type(exc).__name__} status={status} error_code={getattr(exc, 'error_code', None)}"


# ------------------------------------------------------------------- polling
def wait_until(pred: Callable[[], object], timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll pred() until it returns something truthy; return that value or fail after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last={last!r})")
        time.sleep(interval)


def decode_event_message(text: str):
    """Decode one Event Grid queue message: JSON text, or base64 of JSON (returns (obj, encoding))."""
    import json
    t = text.strip()
    if t.startswith("{") or t.startswith("["):
        return json.loads(t), "text"
    return json.loads(base64.b64decode(t, validate=True)), "base64"


def drain_queue(queue_client, settle: float = 1.0, timeout: float = 15.0,
                expect: int | None = None, visibility_timeout: int = 300) -> list:
    """Receive and delete every message, waiting until `expect` arrived (if given) and then until
    no new message shows up for `settle` seconds. Returns the QueueMessage objects."""
    got = []
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        batch = list(next(queue_client.receive_messages(
            messages_per_page=32, visibility_timeout=visibility_timeout).by_page(), []))
        if batch:
            got.extend(batch)
            for m in batch:
                queue_client.delete_message(m)
            quiet_since = time.monotonic()
            continue
        enough = expect is None or len(got) >= expect
        if enough and time.monotonic() - quiet_since >= settle:
            break
        time.sleep(0.2)
    return got


def files_under(root: Path) -> set:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def run_azcopy(args: Iterable[str], workdir: Path, timeout: float = 90) -> tuple[subprocess.CompletedProcess, dict]:
    """Run azcopy with its logs and job plans in workdir and --output-type json.

    Returns (completed process, parsed EndOfJob summary or {})."""
    import json
    azcopy = os.environ.get("AZCOPY_BIN", str(REPO_ROOT / ".venv" / "bin" / "azcopy"))
    logs = workdir / "azcopy-logs"
    plans = workdir / "azcopy-plans"
    logs.mkdir(parents=True, exist_ok=True)
    plans.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({
        "AZCOPY_LOG_LOCATION": str(logs),
        "AZCOPY_JOB_PLAN_LOCATION": str(plans),
        "AZCOPY_DISABLE_SYSLOG": "true",
        "AZCOPY_CONCURRENCY_VALUE": "8",
        "AZCOPY_BUFFER_GB": "0.5",
        # Never let azcopy go through a proxy for 127.0.0.1.
        "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
    })
    cmd = [azcopy, *args, "--output-type", "json"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env, cwd=str(workdir))
    except subprocess.TimeoutExpired as e:  # azcopy retries for minutes; report what it saw
        proc = subprocess.CompletedProcess(cmd, -1, e.stdout or b"",
                                           (e.stderr or b"") + f"\n[azcopy killed after {timeout}s]".encode())
    summary = {}
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("MessageType") == "EndOfJob":
            content = msg.get("MessageContent")
            try:
                summary = json.loads(content) if isinstance(content, str) else dict(content or {})
            except ValueError:
                summary = {"raw": content}
    return proc, summary


def azcopy_failure_detail(proc: subprocess.CompletedProcess, workdir: Path) -> str:
    """stdout/stderr and the tail of azcopy's job log, for assertion messages."""
    log_tail = ""
    logs = sorted((workdir / "azcopy-logs").glob("*.log"), key=lambda p: p.stat().st_mtime)
    if logs:
        lines = logs[-1].read_text("utf-8", "replace").splitlines()
        interesting = [l for l in lines if re.search(r"ERR|FAIL|RESPONSE Status|40\d|41\d|50\d", l)]
        log_tail = "\n".join(interesting[-40:] or lines[-40:])
    return (f"rc={proc.returncode}\nstdout tail:\n{proc.stdout.decode('utf-8', 'replace')[-3000:]}\n"
            f"stderr:\n{proc.stderr.decode('utf-8', 'replace')[-2000:]}\nlog:\n{log_tail}")
