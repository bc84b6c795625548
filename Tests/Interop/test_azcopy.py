"""azcopy 10.18.1 (Microsoft's transfer tool) against devstore with a container SAS:
uploads and downloads of single files and folder trees must round-trip byte for byte."""

from __future__ import annotations

import filecmp
import hashlib
import os
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from azure.storage.blob import ContainerSasPermissions, generate_container_sas

from support import azcopy_failure_detail, run_azcopy, unique

pytestmark = pytest.mark.timeout(200)


@pytest.fixture(scope="module")
def sas_container(devstore):
    """A container and a SAS with read/write/list/create/add (what azcopy needs both ways), plus
    delete for `azcopy remove`."""
    name = unique("azc")
    svc = devstore.blob_service()
    cc = svc.create_container(name)
    sas = generate_container_sas(
        devstore.account_name, name, account_key=devstore.account_key,
        permission=ContainerSasPermissions(read=True, write=True, list=True, create=True, add=True,
                                              delete=True),
        expiry=datetime.now(timezone.utc) + timedelta(hours=2))
    return cc, f"{devstore.blob_endpoint}/{name}", sas


def _url(base: str, sas: str, sub: str = "") -> str:
    path = base + ("/" + urllib.parse.quote(sub) if sub else "")
    return f"{path}?{sas}"


def _azcopy_ok(args, work: Path, expect_transfers: int | None = None) -> dict:
    proc, summary = run_azcopy(args, work)
    detail = azcopy_failure_detail(proc, work)
    assert summary, f"no EndOfJob message from azcopy\n{detail}"
    assert summary.get("JobStatus") == "Completed", f"JobStatus {summary.get('JobStatus')}\n{detail}"
    assert int(summary.get("TransfersFailed", 0)) == 0, detail
    assert proc.returncode == 0, detail
    if expect_transfers is not None:
        assert int(summary.get("TransfersCompleted", -1)) == expect_transfers, (summary, detail)
    return summary


def _md5(p: Path) -> str:
    return hashlib.md5(p.read_bytes()).hexdigest()


def _tree_digest(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): _md5(p) for p in root.rglob("*") if p.is_file()}


def _make_tree(root: Path) -> dict:
    files = {
        "plain.txt": b"plain text\n",
        "with space/file name with spaces.txt": b"spaces",
        "ünïcödé/日本語.txt": "日本語のテキスト".encode(),
        "nested/a/b/c/deep.bin": os.urandom(70_000),
        "empty.dat": b"",
        "emoji 🎉.txt": b"party",
        "nested/a/sibling.json": b'{"k": [1, 2, 3]}',
        "mid-size.bin": os.urandom(9 * 1024 * 1024 + 17),  # crosses azcopy's 8 MiB block size
    }
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return files


def test_single_file_round_trip(sas_container, tmp_path):
    """azcopy copy LocalBlob one file then BlobLocal it back: identical bytes; the SDK sees the blob
    with the right size."""
    cc, base, sas = sas_container
    src = tmp_path / "one file ü.txt"
    src.write_bytes(os.urandom(123_457))
    _azcopy_ok(["copy", str(src), _url(base, sas, "single/one file ü.txt"), "--from-to", "LocalBlob"],
               tmp_path, 1)
    assert cc.get_blob_client("single/one file ü.txt").get_blob_properties().size == 123_457
    out = tmp_path / "back.txt"
    _azcopy_ok(["copy", _url(base, sas, "single/one file ü.txt"), str(out), "--from-to", "BlobLocal"],
               tmp_path, 1)
    assert out.read_bytes() == src.read_bytes()


@pytest.mark.slow
def test_large_file_round_trip(sas_container, tmp_path):
    """A ~20 MiB file goes up in 8 MiB blocks (Put Block x3 + Put Block List) and comes back with
    parallel ranged GETs, byte-identical, with MD5 checking on."""
    cc, base, sas = sas_container
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(20 * 1024 * 1024 + 12345))
    _azcopy_ok(["copy", str(src), _url(base, sas, "big/big.bin"), "--from-to", "LocalBlob",
                "--put-md5"], tmp_path, 1)
    committed, _ = cc.get_blob_client("big/big.bin").get_block_list("committed")
    assert len(committed) == 3, [b.size for b in committed]
    props = cc.get_blob_client("big/big.bin").get_blob_properties()
    assert bytes(props.content_settings.content_md5) == hashlib.md5(src.read_bytes()).digest()
    out = tmp_path / "big.out"
    _azcopy_ok(["copy", _url(base, sas, "big/big.bin"), str(out), "--from-to", "BlobLocal",
                "--check-md5", "FailIfDifferentOrMissing"], tmp_path, 1)
    assert _md5(out) == _md5(src)


@pytest.mark.slow
def test_folder_recursive_round_trip(sas_container, tmp_path):
    """azcopy copy --recursive of a tree (spaces, unicode, nested dirs, an empty file, a 9 MiB
    file) up and back down: same file set, byte-identical, and the listing the SDK sees matches."""
    cc, base, sas = sas_container
    src = tmp_path / "tree"
    files = _make_tree(src)
    _azcopy_ok(["copy", str(src), _url(base, sas), "--from-to", "LocalBlob", "--recursive"],
               tmp_path, len(files))
    listed = {b.name: b.size for b in cc.list_blobs(name_starts_with="tree/")}
    assert listed == {f"tree/{k}": len(v) for k, v in files.items()}

    out = tmp_path / "out"
    out.mkdir()
    _azcopy_ok(["copy", _url(base, sas, "tree"), str(out), "--from-to", "BlobLocal", "--recursive"],
               tmp_path, len(files))
    assert _tree_digest(out / "tree") == _tree_digest(src)
    cmp = filecmp.dircmp(src, out / "tree")
    assert not cmp.left_only and not cmp.right_only and not cmp.diff_files


def test_download_with_wildcard_and_listing(sas_container, tmp_path):
    """BlobLocal with a `container/prefix/*` source (azcopy lists with prefix + delimiter) fetches
    exactly the blobs under that prefix."""
    cc, base, sas = sas_container
    for n in ("wild/x.txt", "wild/y.txt", "wild/sub/z.txt", "wildcard-not/other.txt"):
        cc.get_blob_client(n).upload_blob(n.encode(), overwrite=True)
    out = tmp_path / "wild"
    out.mkdir()
    src = f"{base}/wild/*?{sas}"
    _azcopy_ok(["copy", src, str(out), "--from-to", "BlobLocal", "--recursive"], tmp_path, 3)
    got = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert got == ["sub/z.txt", "x.txt", "y.txt"]
    assert (out / "sub/z.txt").read_bytes() == b"wild/sub/z.txt"


def test_sync_and_remove(sas_container, tmp_path):
    """`azcopy sync` LocalBlob lists the destination (List Blobs with metadata) and uploads only
    what changed; `azcopy remove --recursive` (BlobTrash) deletes a prefix and nothing else."""
    cc, base, sas = sas_container
    src = tmp_path / "syncsrc"
    for i in range(12):
        (src / f"d{i % 3}").mkdir(parents=True, exist_ok=True)
        f = src / f"d{i % 3}" / f"f{i:02d}.txt"
        f.write_bytes(b"x" * i)
        # Last-Modified has 1 s resolution: backdate so the blobs are clearly newer than the files.
        os.utime(f, (time.time() - 120, time.time() - 120))
    dest = _url(base, sas, "synced").replace("/synced?", "/synced/?")  # trailing / = directory
    first = _sync(src, dest, tmp_path)
    assert sorted(b.name for b in cc.list_blobs(name_starts_with="synced/")) == \
        sorted(f"synced/d{i % 3}/f{i:02d}.txt" for i in range(12)), first
    second = _sync(src, dest, tmp_path)
    assert _copied(second) == 0, f"unchanged tree re-uploaded: {second}"
    (src / "d1" / "f01.txt").write_bytes(b"changed")
    os.utime(src / "d1" / "f01.txt", (time.time() + 5, time.time() + 5))
    third = _sync(src, dest, tmp_path)
    assert _copied(third) == 1, third
    assert cc.download_blob("synced/d1/f01.txt").readall() == b"changed"

    cc.get_blob_client("synced-keep.txt").upload_blob(b"keep", overwrite=True)
    _azcopy_ok(["remove", _url(base, sas, "synced"), "--from-to", "BlobTrash", "--recursive"], tmp_path, 12)
    assert list(cc.list_blobs(name_starts_with="synced/")) == []
    assert cc.get_blob_client("synced-keep.txt").exists()


def _sync(src: Path, dest: str, work: Path) -> dict:
    proc, summary = run_azcopy(["sync", str(src), dest, "--from-to", "LocalBlob", "--recursive",
                                "--delete-destination", "false"], work)
    detail = azcopy_failure_detail(proc, work)
    assert proc.returncode == 0 and summary.get("JobStatus") in ("Completed", None), detail
    return summary or {"raw": proc.stdout.decode("utf-8", "replace")[-1500:]}


def _copied(summary: dict) -> int:
    for key in ("CopyTransfersCompleted", "TransfersCompleted"):
        if key in summary:
            return int(summary[key])
    raise AssertionError(f"cannot find the transfer count in {summary}")


def test_azcopy_bad_sas_fails_cleanly(devstore, sas_container, tmp_path):
    """With a SAS signed by the wrong key, azcopy reports a failed job (403), not success."""
    cc, base, _ = sas_container
    bad = generate_container_sas(devstore.account_name, cc.container_name,
                                 account_key="QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=",
                                 permission=ContainerSasPermissions(read=True, write=True, list=True),
                                 expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    src = tmp_path / "f.txt"
    src.write_bytes(b"x")
    proc, summary = run_azcopy(["copy", str(src), _url(base, bad, "bad/f.txt"), "--from-to", "LocalBlob"],
                               tmp_path)
    assert proc.returncode != 0 or summary.get("JobStatus") != "Completed", summary
    assert not cc.get_blob_client("bad/f.txt").exists()
