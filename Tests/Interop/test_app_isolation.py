"""What an app run by the command processor can reach of blobflow's secrets, with the real azcopy
engine: nothing, whether blobflow holds an account key, an account SAS or a managed identity.

The app here hunts for credentials the way a hostile app on the same user would: its own
environment, every readable /proc/*/environ and /proc/*/cmdline, and the memory of every process it
may read through /proc/PID/mem. It writes all it found to a file outside the output; the test then
looks for each secret blobflow was given in it. A decoy process of the same user, holding a secret
of its own, proves the hunt works on this machine.

The outputs azcopy uploaded are read back with the Python SDK: Content-MD5, content type and
blobflow's metadata must match, and no SAS signature may appear in any log line, error or manifest.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

import consumer_support
from consumer_support import OUTPUT, Harness, account_of
from support import make_account_sas
from test_oauth import make_jwt

HUNTER = r'''
import os, sys
found = open(sys.argv[3], "ab")
def note(where, data):
    found.write(b"\n==== " + where.encode() + b"\n" + data)
note("own environ", b"\0".join(f"{k}={v}".encode() for k, v in os.environ.items()))
readable = {}
# In a container blobflow's process tree is all there is; on a shared test machine other users'
# processes of the same uid are noise. So the hunt covers blobflow and everything below it (its
# other apps, every azcopy), and the decoy the test names.
def parent(pid):
    return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
blobflow = os.getppid()
while blobflow > 1 and open(f"/proc/{blobflow}/comm").read().strip() != "blobflow":
    blobflow = parent(blobflow)
def ours(pid):
    try:
        while pid > 1:
            if pid == blobflow:
                return True
            pid = parent(pid)
    except (OSError, IndexError, ValueError):
        pass
    return False
targets = []
for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) == os.getpid() or not (ours(int(pid)) or pid == sys.argv[4]):
        continue
    targets.append(pid)
    for part in ("environ", "cmdline"):
        try:
            note(f"{pid} {part}", open(f"/proc/{pid}/{part}", "rb").read())
            readable.setdefault(pid, []).append(part)
        except OSError:
            pass
for pid in sorted(targets):
    try:
        maps = open(f"/proc/{pid}/maps").read().splitlines()
        mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
    except OSError:
        continue
    budget = 512 << 20
    for line in maps:
        fields = line.split()
        # Writable private mappings: the heap, stacks and anonymous memory where secrets live.
        if not fields[1].startswith("rw") or len(fields) > 5 and fields[5].startswith("[v"):
            continue
        start, end = (int(x, 16) for x in fields[0].split("-"))
        size = min(end - start, budget)
        if size <= 0:
            break
        try:
            mem.seek(start)
            note(f"{pid} mem {fields[0]}", mem.read(size))
            budget -= size
            readable.setdefault(pid, []).append("mem")
        except OSError:
            pass
note("readable", repr(readable).encode())
found.close()
os.makedirs(sys.argv[2], exist_ok=True)
with open(os.path.join(sys.argv[2], "copy.bin"), "wb") as out, open(sys.argv[1], "rb") as inp:
    out.write(inp.read())
open(os.path.join(sys.argv[2], "hunt.txt"), "w").write("hunted\n")
'''


class FakeIdentityEndpoint:
    """The App Service / Container Apps managed identity protocol: GET ?resource=... with the
    X-IDENTITY-HEADER, answered with an unsigned storage token (the devstore in --oauth mode
    reads its claims)."""

    def __init__(self, header: str):
        self.tokens: list[str] = []
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.headers.get("X-IDENTITY-HEADER") != header:
                    self.send_response(401)
                    self.end_headers()
                    return
                token = make_jwt()
                endpoint.tokens.append(token)
                now = int(time.time())
                body = json.dumps({"access_token": token, "expires_on": str(now + 3600), "resource": "https://storage.azure.com",
                                   "token_type": "Bearer", "client_id": "fake"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/msi/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _azcopy() -> str:
    path = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "azcopy"
    if not path.exists():
        pytest.skip("azcopy is not installed (scripts/setup.sh installs it into .venv/bin)")
    return str(path)


def _variants(secret: str) -> set[bytes]:
    """The forms a secret may take in a dump: as given, percent-encoded, and (for base64 keys)
    the decoded bytes."""
    forms = {secret.encode(), urllib.parse.quote(secret, safe="").encode()}
    try:
        raw = base64.b64decode(secret, validate=True)
        if len(raw) >= 16:
            forms.add(raw)
    except ValueError:
        pass
    return forms


#: The user blobflow and its app run as when the tests run as root: root may read any process's
#: memory whatever it is marked, so only an ordinary user shows what the marking protects.
APP_UID = 10001


@pytest.mark.timeout(180)
@pytest.mark.parametrize("credential", ["key", "sas", "managed-identity"])
def test_app_finds_no_credential(devstore_factory, tmp_path, monkeypatch, credential):
    azcopy = _azcopy()
    store = devstore_factory(args=["--oauth"] if credential == "managed-identity" else [])
    # A folder the unprivileged user can reach (pytest's own are private to root).
    root = Path(tempfile.mkdtemp(prefix="blobflow-isolation-"))
    root.chmod(0o755)
    tmp_path = root
    h = Harness(store, root / "h")
    if os.geteuid() == 0:
        wrapper = root / "as-user.sh"
        wrapper.write_text(f"#!/bin/sh\nexec setpriv --reuid={APP_UID} --regid={APP_UID} --clear-groups "
                           f"{consumer_support.blobflow_bin()} \"$@\"\n")
        wrapper.chmod(0o755)
        monkeypatch.setattr(consumer_support, "blobflow_bin", lambda: wrapper)
        for folder, _, files in os.walk(h.root):
            os.chown(folder, APP_UID, APP_UID)
            for name in files:
                os.chown(os.path.join(folder, name), APP_UID, APP_UID)
    identity = None
    decoy = None
    try:
        account, key = account_of(store)
        found = tmp_path / "found.bin"
        found.touch()
        if os.geteuid() == 0:
            os.chown(found, APP_UID, APP_UID)
        hunter = tmp_path / "hunter.py"
        hunter.write_text(HUNTER)
        settings = dict(TRANSFER="azcopy", AZCOPY=azcopy, COMMAND=f"/usr/bin/python3 {hunter} {{input}} {{output}} {found} @DECOY@",
                        LOG_LEVEL="debug")
        secrets: dict[str, str] = {}
        env_extra: dict[str, str] = {}
        if credential == "key":
            secrets = {"account key": key, "connection string": store.connection_string}
        elif credential == "sas":
            # An account SAS cannot be narrowed per blob, so blobflow keeps it off azcopy's command
            # line: the default engine (auto) stays native with an account SAS.
            settings["TRANSFER"] = "auto"
            sas = make_account_sas(account, key, "bq")
            secrets = {"SAS signature": urllib.parse.parse_qs(sas)["sig"][0], "account key": key}
            settings.update(AZURE_STORAGE_CONNECTION_STRING=None, AZURE_STORAGE_ACCOUNT=account, AZURE_STORAGE_SAS_TOKEN=sas,
                            AZURE_STORAGE_BLOB_ENDPOINT=store.blob_endpoint, AZURE_STORAGE_QUEUE_ENDPOINT=store.queue_endpoint)
        else:
            header = "identity-header-" + hashlib.sha256(os.urandom(16)).hexdigest()
            identity = FakeIdentityEndpoint(header)
            secrets = {"identity header": header, "account key": key}
            settings.update(AZURE_STORAGE_CONNECTION_STRING=None, AZURE_STORAGE_ACCOUNT=account,
                            AZURE_STORAGE_BLOB_ENDPOINT=store.blob_endpoint, AZURE_STORAGE_QUEUE_ENDPOINT=store.queue_endpoint)
            env_extra = {"IDENTITY_ENDPOINT": identity.url, "IDENTITY_HEADER": header}

        # A process of the same user with a secret in its environment and memory: the hunt must find it.
        decoy_secret = "decoy-" + hashlib.sha256(os.urandom(16)).hexdigest()
        decoy = subprocess.Popen(["/usr/bin/python3", "-c", "import sys,time; s=sys.argv[1]*2; time.sleep(600)", decoy_secret],
                                 env={"DECOY_SECRET": decoy_secret, "PATH": os.environ.get("PATH", "")},
                                 user=APP_UID if os.geteuid() == 0 else None)

        settings["COMMAND"] = settings["COMMAND"].replace("@DECOY@", str(decoy.pid))
        data = {"iso/one.txt": b"one\n" * 1000, "iso/two.bin": os.urandom(200_000)}
        h.upload(data, threads=1)
        env = h.env("r1", **settings)
        env.update(env_extra)
        c = h.consumer(env=env)
        h.wait_completed(list(data), 120, running=[c])
        c.stop()

        dump = found.read_bytes()
        assert decoy_secret.encode() in dump, "the hunt did not even find the decoy's secret"
        for label, secret in secrets.items():
            for form in _variants(secret):
                at = dump.find(form)
                where = dump[: max(at, 0)].rsplit(b"\n==== ", 1)[-1].split(b"\n", 1)[0].decode("utf-8", "replace")
                assert at < 0, f"the app found the {label} ({credential} configuration) in {where}"
        if identity is not None:
            assert identity.tokens, "blobflow never asked the identity endpoint for a token"
            for token in identity.tokens:
                assert token.encode() not in dump, "the app found a storage token"
        readable = ast.literal_eval(dump.rsplit(b"==== readable\n", 1)[1].decode())
        assert set(readable.get(str(c.pid), [])) <= {"cmdline"}, f"the app could read blobflow's environment or memory: {readable}"

        # azcopy's outputs, read back with the Python SDK.
        outputs = h.output_listing()
        for name, body in data.items():
            copy = h.blobs.get_blob_client(OUTPUT, f"{name}/copy.bin")
            props = copy.get_blob_properties()
            assert copy.download_blob().readall() == body
            assert props.content_settings.content_md5 == hashlib.md5(body).digest(), name
            meta = {k.lower(): v for k, v in props.metadata.items()}
            assert meta.get("blobflow_source_blob") == urllib.parse.quote(name, safe="/"), meta
            assert "blobflow_event_id" in meta, meta
            manifest = h.blobs.get_blob_client(OUTPUT, f"{name}/_manifest.json").get_blob_properties()
            assert manifest.content_settings.content_type == "application/json"
            hunt = h.blobs.get_blob_client(OUTPUT, f"{name}/hunt.txt").get_blob_properties()
            assert hunt.content_settings.content_type == "text/plain"
            assert hunt.content_settings.content_md5 == hashlib.md5(b"hunted\n").digest()
        assert outputs

        # No signature anywhere blobflow writes: its log lines, the app log and manifests it uploaded.
        texts = {"stderr": c.stderr_text(), "stdout": c.stdout_text()}
        for name in outputs:
            if name.endswith(("_manifest.json", "_blobflow.log")):
                texts[name] = h.download_output(name).decode("utf-8", "replace")
        for where, text in texts.items():
            assert "sig=" not in text.lower() or "sig=redacted" in text.lower(), f"a SAS signature in {where}"
            for label, secret in secrets.items():
                assert secret not in text, f"the {label} in {where}"
    finally:
        if decoy is not None:
            decoy.kill()
            decoy.wait(5)
        h.stop_all()
        if identity is not None:
            identity.close()
        shutil.rmtree(root, ignore_errors=True)
