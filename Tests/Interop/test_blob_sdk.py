"""Blob service interoperability: azure-storage-blob (Microsoft's Python SDK) against devstore."""

from __future__ import annotations

import hashlib
import os
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import (
    AccessPolicy,
    AccountSasPermissions,
    BlobClient,
    BlobSasPermissions,
    BlobServiceClient,
    ContainerClient,
    ContainerSasPermissions,
    ContentSettings,
    ResourceTypes,
    generate_account_sas,
    generate_blob_sas,
    generate_container_sas,
)

from support import DEV_ACCOUNT, NO_RETRY, random_key, raw_request, sdk_error_desc, unique


@pytest.fixture(scope="module")
def service(devstore) -> BlobServiceClient:
    return devstore.blob_service()


@pytest.fixture
def container(service):
    """A fresh container, deleted afterwards."""
    c = service.create_container(unique("c"))
    yield c
    try:
        c.delete_container()
    except ResourceNotFoundError:
        pass


def _future(minutes=60):
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


def _past(minutes=5):
    return datetime.now(timezone.utc) - timedelta(minutes=minutes)


# --------------------------------------------------------------------------- containers
def test_container_create_list_delete(service):
    """Create Container, List Containers (prefix + pagination), Delete Container and the 404/409
    codes the SDK maps to its exceptions."""
    prefix = unique("lst")
    names = [f"{prefix}-{i}" for i in range(5)]
    for n in names:
        service.create_container(n, metadata={"idx": n[-1]})
    with pytest.raises(ResourceExistsError) as ei:
        service.create_container(names[0])
    assert ei.value.error_code == "ContainerAlreadyExists", sdk_error_desc(ei.value)

    listed = [c.name for c in service.list_containers(name_starts_with=prefix)]
    assert listed == sorted(names)

    pages = list(service.list_containers(name_starts_with=prefix, results_per_page=2,
                                         include_metadata=True).by_page())
    page_lists = [list(p) for p in pages]
    assert [len(p) for p in page_lists] == [2, 2, 1]
    assert [c.name for p in page_lists for c in p] == sorted(names)
    assert all(c.metadata == {"idx": c.name[-1]} for p in page_lists for c in p)

    for n in names:
        service.delete_container(n)
    assert [c.name for c in service.list_containers(name_starts_with=prefix)] == []
    with pytest.raises(ResourceNotFoundError) as ei:
        service.get_container_client(names[0]).get_container_properties()
    assert ei.value.error_code == "ContainerNotFound", sdk_error_desc(ei.value)
    with pytest.raises(ResourceNotFoundError) as ei:
        service.delete_container(names[0])
    assert ei.value.error_code == "ContainerNotFound", sdk_error_desc(ei.value)


def test_container_properties_and_metadata(container):
    """Get/Set Container Metadata round-trips; properties carry etag and last_modified."""
    container.set_container_metadata({"Owner": "me", "purpose": "interop"})
    props = container.get_container_properties()
    assert {k.lower(): v for k, v in props.metadata.items()} == {"owner": "me", "purpose": "interop"}
    assert props.etag and props.last_modified


def test_blob_in_missing_container(service):
    """Uploading into a container that does not exist fails with ContainerNotFound."""
    with pytest.raises(ResourceNotFoundError) as ei:
        service.get_blob_client(unique("nope"), "x").upload_blob(b"x")
    assert ei.value.error_code == "ContainerNotFound", sdk_error_desc(ei.value)


# --------------------------------------------------------------------------- upload/download
def test_single_shot_upload_and_download(container):
    """Put Blob in one request; whole download returns the same bytes and properties are right,
    including the Content-MD5 the service computes for a single-shot Put Blob."""
    data = os.urandom(100_000)
    b = container.get_blob_client("single.bin")
    r = b.upload_blob(data, content_settings=ContentSettings(content_type="application/x-test"))
    assert r["etag"] and r["last_modified"]
    assert b.download_blob().readall() == data
    props = b.get_blob_properties()
    assert props.size == len(data)
    assert props.blob_type == "BlockBlob"
    assert props.etag == r["etag"]
    assert props.content_settings.content_type == "application/x-test"
    assert props.content_settings.content_md5 is not None, "Put Blob should store a computed Content-MD5"
    assert bytes(props.content_settings.content_md5) == hashlib.md5(data).digest()


def test_forced_block_upload(devstore, container):
    """A client with small max_single_put_size/max_block_size uploads with Put Block + Put Block
    List; the committed block list and content are right."""
    svc = devstore.blob_service(max_single_put_size=64 * 1024, max_block_size=64 * 1024)
    data = os.urandom(300_000)  # 5 blocks: 4 x 64 KiB + remainder
    b = svc.get_blob_client(container.container_name, "dir/blocks.bin")
    b.upload_blob(data, max_concurrency=2)
    assert b.download_blob().readall() == data
    committed, uncommitted = b.get_block_list("all")
    assert [blk.size for blk in committed] == [65536] * 4 + [300_000 - 4 * 65536]
    assert uncommitted == []
    assert b.get_blob_properties().size == len(data)


def test_stage_and_commit_blocks_explicitly(container):
    """Stage blocks out of order, commit a chosen order, uncommitted blocks are listed until the
    commit and then dropped."""
    b = container.get_blob_client("manual-blocks")
    b.stage_block("YmxrMDAx", b"one-")
    b.stage_block("YmxrMDAy", b"two-")
    b.stage_block("YmxrMDAz", b"three")
    committed, uncommitted = b.get_block_list("all")
    assert committed == []
    assert sorted(x.id for x in uncommitted) == ["YmxrMDAx", "YmxrMDAy", "YmxrMDAz"]
    b.commit_block_list(["YmxrMDAz", "YmxrMDAx"])
    assert b.download_blob().readall() == b"threeone-"
    committed, uncommitted = b.get_block_list("all")
    assert [x.id for x in committed] == ["YmxrMDAz", "YmxrMDAx"]
    assert uncommitted == []


def test_ranged_downloads(container):
    """Get Blob with x-ms-range: offset/length slices, open-ended ranges and chunked download."""
    data = bytes(range(256)) * 4096  # 1 MiB
    b = container.get_blob_client("ranges.bin")
    b.upload_blob(data)
    assert b.download_blob(offset=0, length=1).readall() == data[:1]
    assert b.download_blob(offset=1000, length=5000).readall() == data[1000:6000]
    assert b.download_blob(offset=len(data) - 10).readall() == data[-10:]
    assert b.download_blob(offset=len(data) - 10, length=100).readall() == data[-10:]
    chunks = list(b.download_blob(max_concurrency=1).chunks())
    assert b"".join(chunks) == data


def test_download_chunked_by_small_client(devstore, container):
    """A client with max_chunk_get_size small downloads in several ranged GETs, in parallel."""
    data = os.urandom(700_000)
    container.get_blob_client("chunked.bin").upload_blob(data)
    svc = devstore.blob_service(max_single_get_size=64 * 1024, max_chunk_get_size=64 * 1024)
    b = svc.get_blob_client(container.container_name, "chunked.bin")
    assert b.download_blob(max_concurrency=3).readall() == data


def test_empty_blob(container):
    """A zero-length blob uploads, downloads (whole and by SDK default range) and lists with size 0."""
    b = container.get_blob_client("empty")
    b.upload_blob(b"")
    assert b.download_blob().readall() == b""
    assert b.get_blob_properties().size == 0
    assert [x.size for x in container.list_blobs(name_starts_with="empty")] == [0]


def test_overwrite_semantics(container):
    """upload_blob(overwrite=False) on an existing blob -> 409 BlobAlreadyExists; overwrite=True
    replaces content and changes the etag."""
    b = container.get_blob_client("ow")
    e1 = b.upload_blob(b"first")["etag"]
    with pytest.raises(ResourceExistsError) as ei:
        b.upload_blob(b"second")
    assert ei.value.error_code == "BlobAlreadyExists", sdk_error_desc(ei.value)
    e2 = b.upload_blob(b"second", overwrite=True)["etag"]
    assert e1 != e2
    assert b.download_blob().readall() == b"second"


# --------------------------------------------------------------------------- listing
@pytest.fixture
def tree(container):
    names = ["a/1.txt", "a/2.txt", "a/b/3.txt", "a/b/c/4.txt", "c.txt", "d/5.txt", "dd.txt",
             "e f/six seven.txt", "ü/ñ-日本.txt"]
    for n in names:
        container.get_blob_client(n).upload_blob(n.encode())
    return container, names


def test_list_blobs_flat_prefix_and_pages(tree):
    """List Blobs: flat listing in name order, prefix filter and maxresults/NextMarker paging."""
    container, names = tree
    assert [b.name for b in container.list_blobs()] == sorted(names)
    assert [b.name for b in container.list_blobs(name_starts_with="a/b")] == ["a/b/3.txt", "a/b/c/4.txt"]
    assert [b.name for b in container.list_blobs(name_starts_with="d")] == ["d/5.txt", "dd.txt"]
    pages = [[b.name for b in p] for p in container.list_blobs(results_per_page=2).by_page()]
    assert all(len(p) == 2 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 2
    assert [n for p in pages for n in p] == sorted(names)
    sizes = {b.name: b.size for b in container.list_blobs()}
    assert sizes == {n: len(n.encode()) for n in names}


def test_walk_blobs_with_delimiter(tree):
    """List Blobs with delimiter=/ returns BlobPrefix entries; walk_blobs recurses through them."""
    container, names = tree
    top = [(type(x).__name__, x.name) for x in container.walk_blobs(delimiter="/")]
    # (the SDK puts a page's prefixes before its blobs, so compare sorted)
    assert sorted(n for _, n in top) == sorted(["a/", "c.txt", "d/", "dd.txt", "e f/", "ü/"])
    prefixes = {n for kind, n in top if kind == "BlobPrefix"}
    assert prefixes == {"a/", "d/", "e f/", "ü/"}
    under_a = sorted(x.name for x in container.walk_blobs(name_starts_with="a/", delimiter="/"))
    assert under_a == ["a/1.txt", "a/2.txt", "a/b/"]

    def walk(prefix=""):
        for item in container.walk_blobs(name_starts_with=prefix, delimiter="/"):
            if type(item).__name__ == "BlobPrefix":
                yield from walk(item.name)
            else:
                yield item.name
    assert sorted(walk()) == sorted(names)


def test_walk_blobs_paged(tree):
    """Delimiter listing with maxresults=1: prefixes and blobs both survive paging."""
    container, _ = tree
    pages = list(container.walk_blobs(delimiter="/", results_per_page=1).by_page())
    flat = [x.name for p in pages for x in p]
    assert flat == sorted(["a/", "c.txt", "d/", "dd.txt", "e f/", "ü/"])


def test_list_blobs_include_metadata(container):
    """list_blobs(include=['metadata']) returns each blob's metadata."""
    container.get_blob_client("m1").upload_blob(b"x", metadata={"k": "v1"})
    container.get_blob_client("m2").upload_blob(b"y")
    got = {b.name: dict(b.metadata or {}) for b in container.list_blobs(include=["metadata"])}
    assert got == {"m1": {"k": "v1"}, "m2": {}}


# --------------------------------------------------------------------------- metadata/properties
def test_blob_metadata_get_set(container):
    """Set Blob Metadata replaces the whole set; etag changes; content does not."""
    b = container.get_blob_client("meta")
    b.upload_blob(b"payload", metadata={"one": "1"})
    assert b.get_blob_properties().metadata == {"one": "1"}
    etag = b.get_blob_properties().etag
    b.set_blob_metadata({"two": "2", "three": "drei"})
    props = b.get_blob_properties()
    assert props.metadata == {"two": "2", "three": "drei"}
    assert props.etag != etag
    assert b.download_blob().readall() == b"payload"
    assert b.download_blob().properties.metadata == {"two": "2", "three": "drei"}


def test_content_settings_round_trip(container):
    """Set Blob Properties (x-ms-blob-content-*) is reflected by HEAD and by GET headers."""
    b = container.get_blob_client("settings.html")
    b.upload_blob(b"<p>hi</p>")
    md5 = hashlib.md5(b"<p>hi</p>").digest()
    cs = ContentSettings(content_type="text/html; charset=utf-8", content_encoding="identity",
                         content_language="de-DE", content_disposition="attachment; filename=x.html",
                         cache_control="max-age=60", content_md5=md5)
    b.set_http_headers(cs)
    p = b.get_blob_properties().content_settings
    assert p.content_type == cs.content_type
    assert p.content_encoding == cs.content_encoding
    assert p.content_language == cs.content_language
    assert p.content_disposition == cs.content_disposition
    assert p.cache_control == cs.cache_control
    assert bytes(p.content_md5) == md5
    d = b.download_blob()
    assert d.properties.content_settings.content_type == cs.content_type
    assert d.readall() == b"<p>hi</p>"


def test_content_md5_validated_both_ways(container):
    """validate_content=True: the SDK sends Content-MD5 on upload (server must accept a correct
    one) and asks for x-ms-range-get-content-md5 on download (server must return a correct one)."""
    data = os.urandom(200_000)
    b = container.get_blob_client("md5.bin")
    b.upload_blob(data, validate_content=True)
    assert b.download_blob(validate_content=True).readall() == data
    assert b.download_blob(offset=10, length=1000, validate_content=True).readall() == data[10:1010]


def test_content_md5_validated_block_upload(devstore, container):
    """validate_content=True on a chunked upload sends Content-MD5 with every Put Block."""
    svc = devstore.blob_service(max_single_put_size=32 * 1024, max_block_size=32 * 1024)
    data = os.urandom(100_000)
    b = svc.get_blob_client(container.container_name, "md5-blocks.bin")
    b.upload_blob(data, validate_content=True)
    assert b.download_blob().readall() == data


def test_explicit_content_md5_on_commit(devstore, container):
    """Put Block List with x-ms-blob-content-md5 stores that MD5 as the blob's Content-MD5."""
    svc = devstore.blob_service(max_single_put_size=16 * 1024, max_block_size=16 * 1024)
    data = os.urandom(50_000)
    md5 = hashlib.md5(data).digest()
    b = svc.get_blob_client(container.container_name, "md5-commit.bin")
    b.upload_blob(data, content_settings=ContentSettings(content_md5=md5))
    assert bytes(b.get_blob_properties().content_settings.content_md5) == md5


# --------------------------------------------------------------------------- conditions
def test_conditional_requests(container):
    """If-Match / If-None-Match: stale etag -> 412 ConditionNotMet, If-None-Match:* on an existing
    blob -> 409 BlobAlreadyExists, If-None-Match:<current etag> -> 304."""
    b = container.get_blob_client("cond")
    etag1 = b.upload_blob(b"v1")["etag"]
    etag2 = b.upload_blob(b"v2", overwrite=True, etag=etag1,
                          match_condition=MatchConditions.IfNotModified)["etag"]
    assert etag2 != etag1
    with pytest.raises(ResourceModifiedError) as ei:
        b.upload_blob(b"v3", overwrite=True, etag=etag1, match_condition=MatchConditions.IfNotModified)
    assert ei.value.error_code == "ConditionNotMet", sdk_error_desc(ei.value)
    with pytest.raises(ResourceExistsError) as ei:
        b.upload_blob(b"v3", overwrite=True, match_condition=MatchConditions.IfMissing)
    assert ei.value.error_code == "BlobAlreadyExists", sdk_error_desc(ei.value)
    with pytest.raises(ResourceModifiedError) as ei:
        b.set_blob_metadata({"x": "y"}, etag=etag1, match_condition=MatchConditions.IfNotModified)
    assert ei.value.error_code == "ConditionNotMet", sdk_error_desc(ei.value)
    with pytest.raises(HttpResponseError) as ei:  # the SDK's exception class for 304 varies
        b.get_blob_properties(etag=etag2, match_condition=MatchConditions.IfModified)
    assert ei.value.status_code == 304, sdk_error_desc(ei.value)
    with pytest.raises(ResourceModifiedError):
        b.download_blob(etag=etag1, match_condition=MatchConditions.IfNotModified).readall()
    assert b.download_blob(etag=etag2, match_condition=MatchConditions.IfNotModified).readall() == b"v2"
    with pytest.raises(ResourceModifiedError):
        b.delete_blob(etag=etag1, match_condition=MatchConditions.IfNotModified)
    b.delete_blob(etag=etag2, match_condition=MatchConditions.IfNotModified)


def test_if_modified_since(container):
    """If-Modified-Since in the future -> 304; If-Unmodified-Since in the past -> 412."""
    b = container.get_blob_client("since")
    b.upload_blob(b"x")
    with pytest.raises(HttpResponseError) as ei:
        b.get_blob_properties(if_modified_since=_future())
    assert ei.value.status_code == 304, sdk_error_desc(ei.value)
    with pytest.raises(ResourceModifiedError) as ei:
        b.upload_blob(b"y", overwrite=True, if_unmodified_since=_past(60))
    assert ei.value.error_code == "ConditionNotMet", sdk_error_desc(ei.value)


# --------------------------------------------------------------------------- copy / delete
def test_copy_blob_within_server(service, container):
    """Copy Blob from another container of the same account completes (sync or polled) with the
    same bytes, content type and metadata."""
    src_c = service.create_container(unique("src"))
    try:
        data = os.urandom(123_456)
        src = src_c.get_blob_client("source.bin")
        src.upload_blob(data, metadata={"origin": "src"},
                        content_settings=ContentSettings(content_type="application/x-src"))
        dst = container.get_blob_client("copied.bin")
        r = dst.start_copy_from_url(src.url)
        assert r["copy_status"] in ("success", "pending")
        props = dst.get_blob_properties()
        deadline = time.monotonic() + 20
        while props.copy.status == "pending" and time.monotonic() < deadline:
            time.sleep(0.2)
            props = dst.get_blob_properties()
        assert props.copy.status == "success"
        assert props.copy.id == r["copy_id"]
        assert dst.download_blob().readall() == data
        assert props.content_settings.content_type == "application/x-src"
        assert props.metadata == {"origin": "src"}
    finally:
        src_c.delete_container()


def test_copy_missing_source(container):
    """Copying from a blob that does not exist fails (404 CannotVerifyCopySource / BlobNotFound)."""
    src = container.get_blob_client("does-not-exist")
    with pytest.raises(HttpResponseError) as ei:
        container.get_blob_client("dst").start_copy_from_url(src.url)
    assert ei.value.status_code == 404, sdk_error_desc(ei.value)
    assert ei.value.error_code in ("CannotVerifyCopySource", "BlobNotFound"), sdk_error_desc(ei.value)


def test_delete_blob(container):
    """Delete Blob -> later GET/HEAD/DELETE give BlobNotFound; the blob leaves the listing."""
    b = container.get_blob_client("gone")
    b.upload_blob(b"x")
    b.delete_blob()
    with pytest.raises(ResourceNotFoundError) as ei:
        b.download_blob()
    assert ei.value.error_code == "BlobNotFound", sdk_error_desc(ei.value)
    with pytest.raises(ResourceNotFoundError):
        b.get_blob_properties()
    with pytest.raises(ResourceNotFoundError) as ei:
        b.delete_blob()
    assert ei.value.error_code == "BlobNotFound", sdk_error_desc(ei.value)
    assert list(container.list_blobs()) == []
    assert b.exists() is False


def test_delete_container_removes_blobs(service):
    """Deleting a container deletes its blobs; recreating the name starts empty."""
    name = unique("del")
    c = service.create_container(name)
    c.get_blob_client("x").upload_blob(b"x")
    c.delete_container()
    deadline = time.monotonic() + 10
    while True:
        try:
            c2 = service.create_container(name)
            break
        except ResourceExistsError:  # real Azure: ContainerBeingDeleted for a while; tolerate
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    assert list(c2.list_blobs()) == []
    c2.delete_container()


# --------------------------------------------------------------------------- SAS / auth
def test_blob_sas(devstore, container):
    """generate_blob_sas (read) works through BlobClient.from_blob_url; writing with it is refused
    with 403 AuthorizationPermissionMismatch."""
    b = container.get_blob_client("sas/blob one.txt")
    b.upload_blob(b"sas-data")
    sas = generate_blob_sas(devstore.account_name, container.container_name, "sas/blob one.txt",
                            account_key=devstore.account_key, permission=BlobSasPermissions(read=True),
                            expiry=_future())
    ro = BlobClient.from_blob_url(b.url + "?" + sas, **NO_RETRY)
    assert ro.download_blob().readall() == b"sas-data"
    assert ro.get_blob_properties().size == 8
    with pytest.raises(HttpResponseError) as ei:
        ro.upload_blob(b"nope", overwrite=True)
    assert ei.value.status_code == 403, sdk_error_desc(ei.value)
    assert ei.value.error_code == "AuthorizationPermissionMismatch", sdk_error_desc(ei.value)
    # A blob SAS is for that blob only.
    other = BlobClient.from_blob_url(container.get_blob_client("other").url + "?" + sas, **NO_RETRY)
    with pytest.raises(HttpResponseError) as ei:
        other.download_blob()
    assert ei.value.status_code == 403, sdk_error_desc(ei.value)


def test_container_sas(devstore, container):
    """generate_container_sas (rwdlc) allows upload, list, read and delete via
    ContainerClient.from_container_url; a list-less SAS cannot list."""
    sas = generate_container_sas(devstore.account_name, container.container_name,
                                 account_key=devstore.account_key,
                                 permission=ContainerSasPermissions(read=True, write=True, delete=True,
                                                                    list=True, create=True, add=True),
                                 expiry=_future())
    cc = ContainerClient.from_container_url(container.url + "?" + sas, **NO_RETRY)
    cc.upload_blob("via-sas/ü file.txt", b"hello")
    assert [b.name for b in cc.list_blobs()] == ["via-sas/ü file.txt"]
    assert cc.download_blob("via-sas/ü file.txt").readall() == b"hello"
    cc.delete_blob("via-sas/ü file.txt")
    assert list(cc.list_blobs()) == []

    sas_r = generate_container_sas(devstore.account_name, container.container_name,
                                   account_key=devstore.account_key,
                                   permission=ContainerSasPermissions(read=True), expiry=_future())
    cr = ContainerClient.from_container_url(container.url + "?" + sas_r, **NO_RETRY)
    with pytest.raises(HttpResponseError) as ei:
        list(cr.list_blobs())
    assert ei.value.status_code == 403, sdk_error_desc(ei.value)
    assert ei.value.error_code == "AuthorizationPermissionMismatch", sdk_error_desc(ei.value)


def test_account_sas(devstore):
    """generate_account_sas works for service, container and object operations through
    BlobServiceClient(account_url, credential=sas)."""
    sas = generate_account_sas(devstore.account_name, devstore.account_key,
                               resource_types=ResourceTypes(service=True, container=True, object=True),
                               permission=AccountSasPermissions(read=True, write=True, delete=True,
                                                                list=True, create=True, add=True),
                               expiry=_future())
    svc = BlobServiceClient(devstore.blob_endpoint, credential=sas, **NO_RETRY)
    name = unique("acctsas")
    c = svc.create_container(name)
    c.upload_blob("k", b"v")
    assert [x.name for x in svc.list_containers(name_starts_with=name)] == [name]
    assert c.download_blob("k").readall() == b"v"
    c.delete_container()

    # Resource type "object" only: container creation is not allowed.
    sas_o = generate_account_sas(devstore.account_name, devstore.account_key,
                                 resource_types=ResourceTypes(object=True),
                                 permission=AccountSasPermissions(read=True, write=True, create=True),
                                 expiry=_future())
    svc_o = BlobServiceClient(devstore.blob_endpoint, credential=sas_o, **NO_RETRY)
    with pytest.raises(HttpResponseError) as ei:
        svc_o.create_container(unique("nope"))
    assert ei.value.status_code == 403, sdk_error_desc(ei.value)
    assert ei.value.error_code in ("AuthorizationResourceTypeMismatch",), sdk_error_desc(ei.value)


def test_expired_sas_rejected(devstore, container):
    """A SAS whose expiry has passed -> 403 AuthenticationFailed (ClientAuthenticationError)."""
    container.get_blob_client("exp").upload_blob(b"x")
    sas = generate_container_sas(devstore.account_name, container.container_name,
                                 account_key=devstore.account_key,
                                 permission=ContainerSasPermissions(read=True, list=True),
                                 start=_past(120), expiry=_past(60))
    cc = ContainerClient.from_container_url(container.url + "?" + sas, **NO_RETRY)
    with pytest.raises(ClientAuthenticationError) as ei:
        cc.download_blob("exp").readall()
    assert ei.value.error_code == "AuthenticationFailed", sdk_error_desc(ei.value)
    with pytest.raises(ClientAuthenticationError) as ei:
        list(cc.list_blobs())
    assert ei.value.error_code == "AuthenticationFailed", sdk_error_desc(ei.value)


def test_tampered_sas_rejected(devstore, container):
    """A SAS signed with another key, or with a widened permission, -> 403 AuthenticationFailed."""
    container.get_blob_client("t").upload_blob(b"x")
    bad = generate_container_sas(devstore.account_name, container.container_name, account_key=random_key(),
                                 permission=ContainerSasPermissions(read=True), expiry=_future())
    with pytest.raises(ClientAuthenticationError) as ei:
        ContainerClient.from_container_url(container.url + "?" + bad, **NO_RETRY).download_blob("t").readall()
    assert ei.value.error_code == "AuthenticationFailed", sdk_error_desc(ei.value)
    good = generate_container_sas(devstore.account_name, container.container_name,
                                  account_key=devstore.account_key,
                                  permission=ContainerSasPermissions(read=True), expiry=_future())
    widened = re.sub(r"(^|&)sp=r(&|$)", r"\1sp=rwdl\2", good)
    assert widened != good
    with pytest.raises(ClientAuthenticationError) as ei:
        ContainerClient.from_container_url(container.url + "?" + widened, **NO_RETRY).upload_blob("t2", b"y")
    assert ei.value.error_code == "AuthenticationFailed", sdk_error_desc(ei.value)


def test_wrong_account_key_rejected(devstore):
    """Shared Key signed with the wrong key -> 403 AuthenticationFailed for blob operations."""
    svc = BlobServiceClient(devstore.blob_endpoint,
                            credential={"account_name": devstore.account_name, "account_key": random_key()},
                            **NO_RETRY)
    with pytest.raises(ClientAuthenticationError) as ei:
        list(svc.list_containers())
    assert ei.value.error_code == "AuthenticationFailed", sdk_error_desc(ei.value)
    with pytest.raises(ClientAuthenticationError) as ei:
        svc.create_container(unique("wk"))
    assert ei.value.error_code == "AuthenticationFailed", sdk_error_desc(ei.value)


def test_anonymous_access_refused(devstore, container):
    """No credentials at all: a private container's blob, listing and service listing are refused
    (403 on Azurite; 404 ResourceNotFound on Azure for private resources), never served."""
    container.get_blob_client("private").upload_blob(b"secret")
    anon = BlobClient.from_blob_url(container.get_blob_client("private").url, **NO_RETRY)
    with pytest.raises(HttpResponseError) as ei:
        anon.download_blob().readall()
    assert ei.value.status_code in (401, 403, 404), sdk_error_desc(ei.value)
    status, headers, body = raw_request("GET", container.get_blob_client("private").url)
    assert status in (401, 403, 404) and b"secret" not in body
    assert headers.get("x-ms-error-code"), f"no x-ms-error-code (status {status})"
    status, _, body = raw_request("GET", devstore.blob_endpoint + "?comp=list")
    assert status in (401, 403, 404), f"anonymous List Containers answered {status}: {body[:200]!r}"
    status, _, _ = raw_request("PUT", devstore.blob_endpoint + "/" + unique("anon") + "?restype=container")
    assert status in (401, 403, 404), f"anonymous Create Container answered {status}"


def test_extra_accounts_from_env(devstore_factory):
    """BLOBFLOW_DEVSTORE_ACCOUNTS adds accounts with their own keys and isolated namespaces; a
    request for one account signed with another's key fails with AuthenticationFailed."""
    k2 = random_key()
    store = devstore_factory(env={"BLOBFLOW_DEVSTORE_ACCOUNTS": f"acct2:{k2}"})
    base = store.blob_endpoint.rsplit("/", 1)[0]
    svc2 = BlobServiceClient(base + "/acct2", credential={"account_name": "acct2", "account_key": k2},
                             **NO_RETRY)
    svc2.create_container("mine").upload_blob("f", b"acct2 data")
    assert svc2.get_blob_client("mine", "f").download_blob().readall() == b"acct2 data"
    svc1 = store.blob_service()
    assert "mine" not in [c.name for c in svc1.list_containers()]
    cross = BlobServiceClient(base + "/acct2",
                              credential={"account_name": "acct2", "account_key": store.account_key},
                              **NO_RETRY)
    with pytest.raises(ClientAuthenticationError) as ei:
        list(cross.list_containers())
    assert ei.value.error_code == "AuthenticationFailed", sdk_error_desc(ei.value)
    # Queue service of the extra account works too.
    from azure.storage.queue import QueueServiceClient
    qbase = store.queue_endpoint.rsplit("/", 1)[0]
    q2 = QueueServiceClient(qbase + "/acct2", credential={"account_name": "acct2", "account_key": k2},
                            **NO_RETRY)
    q2.create_queue("qtwo").send_message("hi")
    assert q2.get_queue_client("qtwo").receive_message().content == "hi"
    # The default account is still there.
    assert DEV_ACCOUNT == store.account_name


# --------------------------------------------------------------------------- more SDK surface
ODD_NAMES = ["a+b.txt", "100%.txt", "q?x", "h#x", "semi;colon", "tilde~", "sp ace", "dot.", "a//b",
             "  lead", "trail/", "back\\slash", "quote'\"", "amp&eq=", "ü/日本/🎉.bin", "x" * 1024]


def test_odd_blob_names(devstore, container):
    """Names with reserved URL characters, doubled slashes, trailing slash/dot, unicode and the
    1024-character maximum round-trip through Shared Key and through a container SAS, and List
    Blobs reports them exactly."""
    for n in ODD_NAMES:
        container.get_blob_client(n).upload_blob(n.encode())
    assert sorted(b.name for b in container.list_blobs()) == sorted(ODD_NAMES)
    for n in ODD_NAMES:
        assert container.get_blob_client(n).download_blob().readall() == n.encode(), n
    sas = generate_container_sas(devstore.account_name, container.container_name,
                                 account_key=devstore.account_key,
                                 permission=ContainerSasPermissions(read=True, list=True), expiry=_future())
    cc = ContainerClient.from_container_url(container.url + "?" + sas, **NO_RETRY)
    for n in ODD_NAMES:
        assert cc.download_blob(n).readall() == n.encode(), n


def test_put_blob_from_url(service, container):
    """Put Blob From URL (upload_blob_from_url: PUT with x-ms-copy-source and x-ms-blob-type,
    synchronous) -> 201 Created and the source's bytes."""
    src = container.get_blob_client("from-url-source")
    src.upload_blob(b"source bytes")
    dst = container.get_blob_client("from-url-dest")
    dst.upload_blob_from_url(src.url)
    assert dst.download_blob().readall() == b"source bytes"


def test_public_access_levels(devstore, service):
    """Container public access: 'blob' lets anonymous clients read blobs but not list; 'container'
    also lets them list; private (default) refuses both."""
    c = service.create_container(unique("pub"))
    try:
        c.upload_blob("open.txt", b"open")
        url = c.get_blob_client("open.txt").url
        list_url = c.url + "?restype=container&comp=list"
        assert raw_request("GET", url)[0] in (401, 403, 404)
        c.set_container_access_policy({}, public_access="blob")
        assert c.get_container_properties().public_access == "blob"
        s, _, body = raw_request("GET", url)
        assert (s, body) == (200, b"open")
        assert BlobClient.from_blob_url(url, **NO_RETRY).download_blob().readall() == b"open"
        assert raw_request("GET", list_url)[0] in (401, 403, 404)
        c.set_container_access_policy({}, public_access="container")
        s, _, body = raw_request("GET", list_url)
        assert s == 200 and b"open.txt" in body, (s, body[:300])
        assert raw_request("PUT", c.url + "/anon-write.txt", b"x", {"x-ms-blob-type": "BlockBlob"})[0] in (401, 403, 404)
        c.set_container_access_policy({}, public_access=None)
        assert raw_request("GET", url)[0] in (401, 403, 404)
    finally:
        c.delete_container()


def test_parallel_upload_many_blocks(devstore, container):
    """300 blocks staged by 8 threads at once, committed in order: content intact."""
    svc = devstore.blob_service(max_single_put_size=4096, max_block_size=4096)
    data = os.urandom(4096 * 300 + 5)
    b = svc.get_blob_client(container.container_name, "many-blocks")
    b.upload_blob(data, max_concurrency=8)
    assert b.download_blob(max_concurrency=4).readall() == data
    assert len(b.get_block_list("committed")[0]) == 301


@pytest.mark.parametrize("api_version", ["2019-02-02", "2020-10-02"])
def test_older_api_versions(devstore, api_version):
    """Clients pinned to older x-ms-version values (tools in the wild, e.g. azcopy's 2020-10-02)
    can still create, upload, list, download and delete."""
    svc = devstore.blob_service(api_version=api_version)
    c = svc.create_container(unique("ver"))
    c.upload_blob("x/y.txt", b"versioned", metadata={"v": api_version})
    assert [b.name for b in c.list_blobs(include=["metadata"])] == ["x/y.txt"]
    assert c.download_blob("x/y.txt").readall() == b"versioned"
    assert c.get_blob_client("x/y.txt").get_blob_properties().metadata == {"v": api_version}
    c.delete_container()


def test_sas_ip_and_protocol_restrictions(devstore, container):
    """sip= restricts a SAS to an address range (403 AuthorizationSourceIPMismatch from elsewhere;
    the client here is 127.0.0.1); spr=https refuses plain http (403 AuthorizationProtocolMismatch);
    st= in the future -> 403 AuthenticationFailed."""
    b = container.get_blob_client("restricted.txt")
    b.upload_blob(b"r")

    def read(sas):
        return BlobClient.from_blob_url(b.url + "?" + sas, **NO_RETRY).download_blob().readall()

    common = dict(account_key=devstore.account_key, permission=BlobSasPermissions(read=True), expiry=_future())
    name = (devstore.account_name, container.container_name, "restricted.txt")
    assert read(generate_blob_sas(*name, ip="127.0.0.1", **common)) == b"r"
    assert read(generate_blob_sas(*name, ip="127.0.0.0-127.0.0.255", **common)) == b"r"
    with pytest.raises(HttpResponseError) as ei:
        read(generate_blob_sas(*name, ip="10.1.2.3", **common))
    assert (ei.value.status_code, ei.value.error_code) == (403, "AuthorizationSourceIPMismatch"), sdk_error_desc(ei.value)
    with pytest.raises(HttpResponseError) as ei:
        read(generate_blob_sas(*name, protocol="https", **common))
    assert (ei.value.status_code, ei.value.error_code) == (403, "AuthorizationProtocolMismatch"), sdk_error_desc(ei.value)
    with pytest.raises(ClientAuthenticationError) as ei:
        read(generate_blob_sas(*name, start=_future(30), **common))
    assert ei.value.error_code == "AuthenticationFailed", sdk_error_desc(ei.value)


def test_sas_response_header_overrides(devstore, container):
    """A blob SAS with rscd/rsct/rscc (content_disposition, content_type, cache_control) makes Get
    Blob answer with those headers instead of the stored ones."""
    b = container.get_blob_client("override.txt")
    b.upload_blob(b"o", content_settings=ContentSettings(content_type="text/plain"))
    sas = generate_blob_sas(devstore.account_name, container.container_name, "override.txt",
                            account_key=devstore.account_key, permission=BlobSasPermissions(read=True),
                            expiry=_future(), content_disposition="attachment; filename=o.txt",
                            content_type="application/x-override", cache_control="no-store")
    s, h, body = raw_request("GET", b.url + "?" + sas)
    assert (s, body) == (200, b"o")
    assert h.get("content-disposition") == "attachment; filename=o.txt", h
    assert h.get("content-type") == "application/x-override", h
    assert h.get("cache-control") == "no-store", h


@pytest.mark.xfail(strict=True, reason="stored access policies (SAS `si`) are not implemented by the development server")
def test_stored_access_policy(devstore, container):
    """Set Container ACL stores signed identifiers (Get Container ACL returns them) and a SAS that
    names one (si=) gets its permissions and expiry from it; an unknown si -> 403."""
    container.get_blob_client("p.txt").upload_blob(b"p")
    container.set_container_access_policy(
        {"readers": AccessPolicy(permission=ContainerSasPermissions(read=True, list=True), expiry=_future(),
                                 start=_past())})
    acl = container.get_container_access_policy()
    assert [i.id for i in acl["signed_identifiers"]] == ["readers"], acl
    assert acl["signed_identifiers"][0].access_policy.permission == "rl"
    sas = generate_container_sas(devstore.account_name, container.container_name,
                                 account_key=devstore.account_key, policy_id="readers")
    cc = ContainerClient.from_container_url(container.url + "?" + sas, **NO_RETRY)
    assert cc.download_blob("p.txt").readall() == b"p"
    assert [x.name for x in cc.list_blobs()] == ["p.txt"]
    with pytest.raises(HttpResponseError) as ei:
        cc.upload_blob("q.txt", b"q")
    assert ei.value.status_code == 403, sdk_error_desc(ei.value)
    bad = generate_container_sas(devstore.account_name, container.container_name,
                                 account_key=devstore.account_key, policy_id="nobody")
    with pytest.raises(HttpResponseError) as ei:
        ContainerClient.from_container_url(container.url + "?" + bad, **NO_RETRY).download_blob("p.txt").readall()
    assert ei.value.status_code == 403, sdk_error_desc(ei.value)


def test_cross_account_copy(devstore_factory):
    """Copy Blob from another account of the same server needs the source's SAS: without it 404
    CannotVerifyCopySource (private source), with it the copy succeeds."""
    k2 = random_key()
    store = devstore_factory(env={"BLOBFLOW_DEVSTORE_ACCOUNTS": f"acct2:{k2}"})
    base = store.blob_endpoint.rsplit("/", 1)[0]
    svc2 = BlobServiceClient(base + "/acct2", credential={"account_name": "acct2", "account_key": k2}, **NO_RETRY)
    src = svc2.create_container("other").get_blob_client("s.txt")
    src.upload_blob(b"cross")
    dst_c = store.blob_service().create_container("dst")
    with pytest.raises(HttpResponseError) as ei:
        dst_c.get_blob_client("c1").start_copy_from_url(src.url)
    assert ei.value.status_code in (403, 404), sdk_error_desc(ei.value)
    assert ei.value.error_code in ("CannotVerifyCopySource", "AuthorizationFailure"), sdk_error_desc(ei.value)
    sas = generate_blob_sas("acct2", "other", "s.txt", account_key=k2, permission=BlobSasPermissions(read=True),
                            expiry=_future())
    dst_c.get_blob_client("c2").start_copy_from_url(src.url + "?" + sas)
    deadline = time.monotonic() + 10
    while dst_c.get_blob_client("c2").get_blob_properties().copy.status == "pending" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert dst_c.get_blob_client("c2").download_blob().readall() == b"cross"


def test_invalid_metadata_name_rejected(container):
    """Metadata names must be C# identifiers: '1abc' or 'has-dash' -> 400 InvalidMetadata."""
    b = container.get_blob_client("badmeta")
    b.upload_blob(b"x")
    for bad in ({"1abc": "x"}, {"has-dash": "x"}):
        with pytest.raises(HttpResponseError) as ei:
            b.set_blob_metadata(bad)
        assert (ei.value.status_code, ei.value.error_code) == (400, "InvalidMetadata"), sdk_error_desc(ei.value)


def test_list_uncommitted_blobs(container):
    """include=['uncommittedblobs'] lists a blob that so far has only staged blocks."""
    container.get_blob_client("only-staged").stage_block("QQ", b"q")
    container.get_blob_client("committed").upload_blob(b"c")
    assert [b.name for b in container.list_blobs()] == ["committed"]
    names = [b.name for b in container.list_blobs(include=["uncommittedblobs"])]
    assert names == ["committed", "only-staged"], names
