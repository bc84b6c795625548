"""rclone (Debian's package, on the Azure SDK for Go) copies, checks and syncs against the
development server with the configuration the README gives: `use_emulator = true` together
with `endpoint = http://127.0.0.1:PORT/devstoreaccount1`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from support import unique

RCLONE = shutil.which("rclone") or "rclone"


def _rclone(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [RCLONE, "--config", str(config), "--retries", "1", "--low-level-retries", "2", "--contimeout", "10s",
           "--timeout", "60s", *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RCLONE_")}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def _write_tree(root: Path, files: dict) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_rclone_copy_check_sync(devstore, tmp_path):
    assert shutil.which("rclone"), "rclone is not installed: run scripts/setup.sh"
    config = tmp_path / "rclone.conf"
    config.write_text(
        "[dev]\n"
        "type = azureblob\n"
        "use_emulator = true\n"
        f"endpoint = http://127.0.0.1:{devstore.blob_port}/{devstore.account_name}\n"
    )
    container = unique("rclone")
    source = tmp_path / "src"
    files = {
        "a.txt": b"alpha\n",
        "dir/b.bin": os.urandom(300 * 1024),
        "dir/sub/c.bin": os.urandom(9 * 1024 * 1024),  # several blocks at rclone's 4 MiB chunk size
        "empty.txt": b"",
    }
    _write_tree(source, files)

    copy = _rclone(config, "copy", str(source), f"dev:{container}")
    assert copy.returncode == 0, copy.stderr
    listed = _rclone(config, "lsf", "-R", "--files-only", f"dev:{container}")
    assert listed.returncode == 0, listed.stderr
    assert sorted(listed.stdout.split()) == sorted(files)

    check = _rclone(config, "check", str(source), f"dev:{container}")
    assert check.returncode == 0, check.stderr
    assert "0 differences found" in check.stderr

    # sync makes the container match a changed tree: one file changed, one added, one removed.
    (source / "a.txt").write_bytes(b"alpha, changed\n")
    (source / "new.txt").write_bytes(b"new\n")
    (source / "dir" / "b.bin").unlink()
    sync = _rclone(config, "sync", str(source), f"dev:{container}")
    assert sync.returncode == 0, sync.stderr
    check = _rclone(config, "check", str(source), f"dev:{container}")
    assert check.returncode == 0, check.stderr
    listed = _rclone(config, "lsf", "-R", "--files-only", f"dev:{container}")
    assert sorted(listed.stdout.split()) == sorted(["a.txt", "dir/sub/c.bin", "empty.txt", "new.txt"])

    back = tmp_path / "back"
    copy_back = _rclone(config, "copy", f"dev:{container}", str(back))
    assert copy_back.returncode == 0, copy_back.stderr
    assert (back / "a.txt").read_bytes() == b"alpha, changed\n"
    assert (back / "dir" / "sub" / "c.bin").read_bytes() == files["dir/sub/c.bin"]
