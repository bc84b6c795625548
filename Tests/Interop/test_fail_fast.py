"""Servers fail fast and say why: a taken port, a data folder another instance holds, or a bad
setting is reported at once (naming the port, the folder or the setting) with a non-zero exit,
and nothing is left hanging. The bounds below are generous on purpose: these failures happen
before any work starts, so on any machine they take well under a second."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from consumer_support import clean_environment
from support import blobflow_bin
from test_dev import DevLoop, dev_loop  # noqa: F401  (the fixture)


def _taken_port():
    """A socket listening on 127.0.0.1 (port chosen by the kernel), as another program would."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s, s.getsockname()[1]


def _run(args, cwd: Path, timeout: float, env=None) -> subprocess.CompletedProcess:
    e = clean_environment()
    e.update(env or {})
    return subprocess.run([str(blobflow_bin()), *args], cwd=str(cwd), env=e, capture_output=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.timeout(60)
def test_devstore_on_a_taken_port_names_it(tmp_path):
    """`blobflow devstore` on a taken blob port: non-zero exit within 5 s, the port named, with
    what to do about it; the data folder is left untouched."""
    sock, port = _taken_port()
    with sock:
        p = _run(["devstore", "--blob-port", str(port), "--queue-port", "0", "--location", "data"], tmp_path, timeout=5)
    err = p.stderr.decode(errors="replace")
    assert p.returncode != 0, err
    assert f"port {port}" in err and "already in use" in err and "--blob-port" in err, err
    assert "bind(descriptor" not in err, err
    assert not (tmp_path / "data").exists(), "the data folder was created before the port was checked"


@pytest.mark.timeout(60)
def test_dev_on_a_taken_port_names_it(tmp_path):
    """`blobflow dev` with its queue port taken: non-zero exit within 10 s naming the port."""
    sock, port = _taken_port()
    with sock:
        p = _run(["dev", "--blob-port", "0", "--queue-port", str(port), "--location", "loc"], tmp_path, timeout=10)
    err = p.stderr.decode(errors="replace")
    assert p.returncode != 0, err
    assert f"port {port}" in err and "--queue-port" in err, err


@pytest.mark.timeout(60)
def test_bad_setting_is_reported_before_any_port_is_bound(tmp_path):
    """A bad value and a taken port: the bad value is what is reported (exit 2), as nothing is
    bound before the configuration is known to be good."""
    sock, port = _taken_port()
    with sock:
        p = _run(["dev", "--blob-port", str(port), "--queue-port", "0", "--location", "loc"], tmp_path, timeout=10,
                 env={"BLOBFLOW_CONCURRENCY": "lots"})
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 2, err
    assert "BLOBFLOW_CONCURRENCY" in err and "lots" in err, err


@pytest.mark.timeout(120)
def test_second_dev_in_the_same_folder_refuses_and_the_first_keeps_working(dev_loop):
    """A second `blobflow dev` in the same folder exits non-zero within 10 s naming the folder,
    without touching the first one's data; the first keeps processing drops."""
    first = dev_loop()
    p = _run(["dev", "--blob-port", "0", "--queue-port", "0", "--drop", "drop", "--outputs", "outputs",
              "--location", "loc"], first.root, timeout=10)
    err = p.stderr.decode(errors="replace")
    assert p.returncode != 0, err
    assert "loc" in err and "in use by process" in err, err
    assert first.alive()

    first.drop_file("still-working.txt", b"the first instance carries on\n")
    first.wait_manifest("still-working.txt")
    first.stop()


@pytest.mark.timeout(60)
def test_second_devstore_on_the_same_location_refuses(tmp_path):
    """Two `blobflow devstore` on one --location: the second refuses at once, naming the folder."""
    first = subprocess.Popen([str(blobflow_bin()), "devstore", "--blob-port", "0", "--queue-port", "0",
                              "--location", "data"], cwd=str(tmp_path), env=clean_environment(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert b"blobflow devstore is running" in first.stdout.readline() + first.stdout.readline()
        p = _run(["devstore", "--blob-port", "0", "--queue-port", "0", "--location", "data"], tmp_path, timeout=10)
        err = p.stderr.decode(errors="replace")
        assert p.returncode != 0, err
        assert "data" in err and f"in use by process {first.pid}" in err, err
        assert first.poll() is None, "the first server stopped"
    finally:
        first.terminate()
        assert first.wait(15) == 0


@pytest.mark.timeout(60)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_start_up_ends_dev(tmp_path, sig):
    """SIGINT or SIGTERM sent while `blobflow dev` is still starting ends it (no hang), and a
    second signal ends it at once whatever it is doing."""
    proc = subprocess.Popen([str(blobflow_bin()), "dev", "--blob-port", "0", "--queue-port", "0", "--location", "loc"],
                            cwd=str(tmp_path), env=clean_environment(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(0.3)
        proc.send_signal(sig)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.send_signal(sig)
            proc.wait(5)
            raise AssertionError("one signal did not end blobflow dev within 30 s (a second one did)")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
