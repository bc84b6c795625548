"""The devstore command line: invalid flags, environment values and busy ports make it exit
quickly with a non-zero status and a message naming the problem, instead of starting half-way."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest

from support import blobflow_bin

CASES = [
    (["--faults", "rate=2"], {}, "rate"),
    (["--faults", "kinds=teapot"], {}, "teapot"),
    (["--subscription", "queue=x"], {}, "container"),
    (["--subscription", "container=Bad_Name,queue=qqq"], {}, "Bad_Name"),
    (["--subscription", "container=abc,queue=qqq,schema=Nope"], {}, "Nope"),
    (["--subscription", "container=abc,queue=qqq,encoding=rot13"], {}, "rot13"),
    ([], {"BLOBFLOW_DEVSTORE_ACCOUNTS": "x:notbase64"}, "x"),
    ([], {"BLOBFLOW_DEVSTORE_FAULTS": "rate=abc"}, "abc"),
]


def _run(tmp_path, args, env=None, blob_port="0"):
    e = dict(os.environ)
    e.update(env or {})
    cmd = [str(blobflow_bin()), "devstore", "--host", "127.0.0.1", "--blob-port", blob_port, "--queue-port", "0",
           "--location", str(tmp_path / "loc"), *args]
    return subprocess.run(cmd, capture_output=True, timeout=15, env=e, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args,env,mention", CASES, ids=[" ".join(a) or next(iter(e)) for a, e, _ in CASES])
def test_invalid_configuration_rejected(tmp_path, args, env, mention):
    """A bad flag/env value -> non-zero exit within seconds, an error on stderr naming the value,
    and no 'Connection string:' line (so scripts never mistake it for a running server)."""
    if not blobflow_bin().exists():
        pytest.fail(f"{blobflow_bin()} not built", pytrace=False)
    p = _run(tmp_path, args, env)
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    assert p.returncode != 0, out + err
    assert mention in err, err
    assert "Connection string:" not in out


def test_busy_port_rejected(tmp_path):
    """--blob-port on a port already in use -> non-zero exit and an 'in use' message."""
    if not blobflow_bin().exists():
        pytest.fail(f"{blobflow_bin()} not built", pytrace=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        p = _run(tmp_path, [], blob_port=str(s.getsockname()[1]))
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode != 0
    assert "in use" in err.lower(), err
    assert "Connection string:" not in p.stdout.decode("utf-8", "replace")
