"""Hostile and malformed requests over raw HTTP (authorised with an account SAS made by the SDK):
each must get the Azure error status and code (x-ms-error-code header and <Code> in the XML body,
which must agree), must not write outside --location, and must leave the server alive."""

from __future__ import annotations

import base64
import hashlib
import socket
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.rest import HttpRequest
from azure.storage.blob._shared.authentication import SharedKeyCredentialPolicy  # the SDK's signer

from support import assert_azure_error, files_under, http_date, raw_request, unique

XXE_DTD = ('<!DOCTYPE BlockList [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> <!ENTITY a "aaaaaaaaaa">'
           ' <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"> <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
           ' <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"> <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"> ]>')


class Raw:
    """Raw requests against one server, authorised by an account SAS appended to every URL."""

    def __init__(self, store):
        self.store = store
        self.sas = store.account_sas()

    def _url(self, endpoint: str, path: str, query: str = "") -> str:
        q = "&".join(x for x in (query, self.sas) if x)
        return f"{endpoint}/{path}?{q}"

    def blob(self, method, path, query="", body=None, headers=None):
        return raw_request(method, self._url(self.store.blob_endpoint, path, query), body, headers)

    def queue(self, method, path, query="", body=None, headers=None):
        return raw_request(method, self._url(self.store.queue_endpoint, path, query), body, headers)


@pytest.fixture(scope="module")
def raw(devstore):
    return Raw(devstore)


@pytest.fixture(scope="module")
def cname(raw):
    name = unique("bad")
    status, _, body = raw.blob("PUT", name, "restype=container")
    assert status == 201, body
    return name


@pytest.fixture(scope="module")
def qname(raw):
    name = unique("badq")
    status, _, body = raw.queue("PUT", name)
    assert status == 201, body
    return name


@pytest.fixture(autouse=True)
def _server_survives(devstore):
    """After every test here the server must still be running and answering."""
    yield
    devstore.assert_alive()


def _put_blob(raw, cname, name_path, data=b"data", headers=None):
    h = {"x-ms-blob-type": "BlockBlob"}
    h.update(headers or {})
    return raw.blob("PUT", f"{cname}/{name_path}", body=data, headers=h)


def _bid(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


# --------------------------------------------------------------------------- block lists
def test_malformed_block_list_xml(raw, cname):
    """Put Block List with truncated XML / not XML at all -> 400 InvalidXmlDocument."""
    _put_blob(raw, cname, "bl-target")
    for body in ("<?xml version='1.0'?><BlockList><Latest>YmxrMDAx</Latest>",
                 "this is not xml", "<BlockList><Latest>YmxrMDAx</Latest></Wrong>"):
        s, h, b = raw.blob("PUT", f"{cname}/bl-malformed", "comp=blocklist", body)
        assert_azure_error(s, h, b, 400, "InvalidXmlDocument")


def test_block_list_with_unknown_block(raw, cname):
    """Put Block List naming a block that was never staged -> 400 InvalidBlockList; nothing is
    committed."""
    bid = _bid("blk-001")
    s, h, b = raw.blob("PUT", f"{cname}/bl-unknown", f"comp=block&blockid={urllib.parse.quote(bid)}", b"abc")
    assert s == 201, (s, b)
    body = f"<?xml version='1.0' encoding='utf-8'?><BlockList><Latest>{bid}</Latest>" \
           f"<Latest>{_bid('blk-999')}</Latest></BlockList>"
    s, h, b = raw.blob("PUT", f"{cname}/bl-unknown", "comp=blocklist", body)
    assert_azure_error(s, h, b, 400, "InvalidBlockList")
    s, h, b = raw.blob("GET", f"{cname}/bl-unknown")
    assert_azure_error(s, h, b, 404, "BlobNotFound")
    # Committed / Uncommitted lookups that miss also fail.
    body = f"<BlockList><Committed>{bid}</Committed></BlockList>"
    s, h, b = raw.blob("PUT", f"{cname}/bl-unknown", "comp=blocklist", body)
    assert_azure_error(s, h, b, 400, "InvalidBlockList")


def test_block_list_ok_via_raw(raw, cname):
    """Sanity for the raw path: stage two blocks, commit with Latest/Uncommitted -> 201 and data."""
    a, b_ = _bid("blk-a"), _bid("blk-b")
    for bid, data in ((a, b"AA"), (b_, b"BB")):
        s, _, body = raw.blob("PUT", f"{cname}/bl-ok", f"comp=block&blockid={urllib.parse.quote(bid)}", data)
        assert s == 201, body
    s, _, body = raw.blob("PUT", f"{cname}/bl-ok", "comp=blocklist",
                          f"<BlockList><Uncommitted>{b_}</Uncommitted><Latest>{a}</Latest></BlockList>")
    assert s == 201, body
    s, _, body = raw.blob("GET", f"{cname}/bl-ok")
    assert (s, body) == (200, b"BBAA")


def test_invalid_block_id(raw, cname):
    """Put Block with a block id that is not base64 -> 400 (InvalidQueryParameterValue on Azure)."""
    s, h, b = raw.blob("PUT", f"{cname}/bad-blockid", "comp=block&blockid=%24%25not-base64%21", b"x")
    assert_azure_error(s, h, b, 400, ("InvalidQueryParameterValue", "InvalidBlockId", "InvalidBlobOrBlock"))


def test_block_list_xxe_not_expanded(raw, cname):
    """A block list with a DTD (external entity + entity expansion) is refused or its entities are
    left unexpanded: never reads files, never expands the entity bomb."""
    body = f"<?xml version='1.0'?>{XXE_DTD}<BlockList><Latest>&xxe;</Latest><Latest>&e;</Latest></BlockList>"
    s, h, b = raw.blob("PUT", f"{cname}/xxe", "comp=blocklist", body)
    assert_azure_error(s, h, b, 400, ("InvalidXmlDocument", "InvalidBlockList"))
    assert b"root:" not in b


# --------------------------------------------------------------------------- queue bodies
def test_malformed_queue_message_bodies(raw, qname):
    """Put Message with broken XML, no XML, or no MessageText -> 400 with an XML error code; the
    queue stays empty."""
    for body, codes in (
        ("<QueueMessage><MessageText>abc", ("InvalidXmlDocument",)),
        ("just text", ("InvalidXmlDocument",)),
        ("<QueueMessage></QueueMessage>", ("InvalidXmlDocument", "MissingRequiredXmlNode", "InvalidXmlNodeValue")),
        ("<Wrong><MessageText>x</MessageText></Wrong>", ("InvalidXmlDocument", "MissingRequiredXmlNode",
                                                          "InvalidXmlNodeValue")),
    ):
        s, h, b = raw.queue("POST", f"{qname}/messages", body=body)
        assert_azure_error(s, h, b, 400, codes)
    s, _, b = raw.queue("GET", f"{qname}/messages", "peekonly=true&numofmessages=32")
    assert s == 200 and b"<QueueMessage>" not in b, b


def test_queue_message_xxe_not_expanded(raw, qname):
    """A Put Message body with a DTD is refused, or stored with entities unexpanded."""
    body = (f"<?xml version='1.0'?>{XXE_DTD.replace('BlockList', 'QueueMessage')}"
            "<QueueMessage><MessageText>&xxe;&e;</MessageText></QueueMessage>")
    s, h, b = raw.queue("POST", f"{qname}/messages", body=body)
    if s == 201:
        s2, _, b2 = raw.queue("GET", f"{qname}/messages", "numofmessages=32")
        assert b"root:" not in b2 and len(b2) < 10_000, b2[:300]
        raw.queue("DELETE", f"{qname}/messages")
    else:
        assert_azure_error(s, h, b, 400, ("InvalidXmlDocument",))


def test_oversize_queue_message_raw(raw, qname):
    """A Put Message whose MessageText exceeds 64 KiB -> 413 RequestBodyTooLarge (or 400
    MessageTooLarge); a 1 MiB body likewise, without the server buffering forever."""
    body = f"<QueueMessage><MessageText>{'x' * (64 * 1024 + 1)}</MessageText></QueueMessage>"
    s, h, b = raw.queue("POST", f"{qname}/messages", body=body)
    assert_azure_error(s, h, b, (413, 400), ("RequestBodyTooLarge", "MessageTooLarge"))
    body = f"<QueueMessage><MessageText>{'y' * (1024 * 1024)}</MessageText></QueueMessage>"
    try:
        s, h, b = raw.queue("POST", f"{qname}/messages", body=body)
    except (ConnectionResetError, BrokenPipeError):
        return  # closing the connection on an oversize body is acceptable
    assert_azure_error(s, h, b, (413, 400), ("RequestBodyTooLarge", "MessageTooLarge"))


def test_get_messages_parameter_ranges(raw, qname):
    """numofmessages outside 1..32 and visibilitytimeout outside 1..604800 (Get Messages) ->
    400 OutOfRangeQueryParameterValue; non-numeric -> 400 InvalidQueryParameterValue."""
    for q in ("numofmessages=33", "numofmessages=0", "visibilitytimeout=0", "visibilitytimeout=604801"):
        s, h, b = raw.queue("GET", f"{qname}/messages", q)
        assert_azure_error(s, h, b, 400, "OutOfRangeQueryParameterValue")
    s, h, b = raw.queue("GET", f"{qname}/messages", "numofmessages=abc")
    assert_azure_error(s, h, b, 400, ("InvalidQueryParameterValue", "OutOfRangeQueryParameterValue"))
    s, h, b = raw.queue("POST", f"{qname}/messages", "visibilitytimeout=604801",
                        "<QueueMessage><MessageText>x</MessageText></QueueMessage>")
    assert_azure_error(s, h, b, 400, "OutOfRangeQueryParameterValue")


def test_queue_xml_escaping_raw(raw, qname):
    """Put Message text with escaped XML characters comes back escaped in Get Messages (so that an
    XML parser recovers the same text)."""
    text = "a<b>&c\"d'e ü"
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s, _, b = raw.queue("POST", f"{qname}/messages", body=f"<QueueMessage><MessageText>{esc}</MessageText></QueueMessage>")
    assert s == 201, b
    s, h, b = raw.queue("GET", f"{qname}/messages", "numofmessages=1")
    assert s == 200
    assert h.get("content-type", "").startswith("application/xml"), h.get("content-type")
    root = ET.fromstring(b)
    assert root.tag == "QueueMessagesList"
    assert root.find("QueueMessage/MessageText").text == text
    for tag in ("MessageId", "InsertionTime", "ExpirationTime", "PopReceipt", "TimeNextVisible", "DequeueCount"):
        assert root.find(f"QueueMessage/{tag}") is not None, tag
    raw.queue("DELETE", f"{qname}/messages")


def test_missing_queue_and_message(raw, qname):
    """Operations on a missing queue -> 404 QueueNotFound; on a missing message -> 404 MessageNotFound."""
    s, h, b = raw.queue("GET", f"{unique('noq')}/messages")
    assert_azure_error(s, h, b, 404, "QueueNotFound")
    s, h, b = raw.queue("DELETE", f"{qname}/messages/00000000-0000-0000-0000-000000000000",
                        "popreceipt=AgAAAAMAAAAAAAAAAAAAAAAAAAA%3D")
    assert_azure_error(s, h, b, 404, "MessageNotFound")


# --------------------------------------------------------------------------- ranges / md5
def test_invalid_range(raw, cname):
    """Get Blob with a range starting past the end -> 416 InvalidRange; a valid range -> 206 with
    Content-Range; a range running past the end is clipped."""
    _put_blob(raw, cname, "ten", b"0123456789")
    s, h, b = raw.blob("GET", f"{cname}/ten", headers={"x-ms-range": "bytes=100-200"})
    assert_azure_error(s, h, b, 416, "InvalidRange")
    s, h, b = raw.blob("GET", f"{cname}/ten", headers={"Range": "bytes=10-"})
    assert_azure_error(s, h, b, 416, "InvalidRange")
    s, h, b = raw.blob("GET", f"{cname}/ten", headers={"x-ms-range": "bytes=2-4"})
    assert (s, b) == (206, b"234")
    assert h.get("content-range") == "bytes 2-4/10"
    s, h, b = raw.blob("GET", f"{cname}/ten", headers={"Range": "bytes=8-50"})
    assert (s, b) == (206, b"89")
    assert h.get("content-range") == "bytes 8-9/10"


def test_content_md5_mismatch(raw, cname):
    """Put Blob / Put Block with a Content-MD5 that does not match the body -> 400 Md5Mismatch,
    and nothing is stored."""
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    s, h, b = _put_blob(raw, cname, "md5bad", b"payload", {"Content-MD5": wrong})
    assert_azure_error(s, h, b, 400, "Md5Mismatch")
    s, h, b = raw.blob("HEAD", f"{cname}/md5bad")
    assert s == 404
    s, h, b = raw.blob("PUT", f"{cname}/md5bad", f"comp=block&blockid={urllib.parse.quote(_bid('x1'))}",
                       b"payload", {"Content-MD5": wrong})
    assert_azure_error(s, h, b, 400, "Md5Mismatch")
    s, h, b = _put_blob(raw, cname, "md5bad", b"payload", {"Content-MD5": "not base64!"})
    assert_azure_error(s, h, b, 400, ("InvalidMd5", "InvalidHeaderValue", "Md5Mismatch"))


# --------------------------------------------------------------------------- names
def test_names_with_spaces_and_unicode(raw, cname, devstore):
    """Percent-encoded names with spaces, unicode, '+', '#', '%' round-trip: GET by the same
    encoding returns the data and List Blobs reports the decoded name."""
    names = ["hello world.txt", "wörld/日本語 ファイル.txt", "plus+sign.txt", "hash#tag.txt", "pct%41.txt",
             "emoji-🎉.bin", "semi;colon=eq&amp.txt"]
    for n in names:
        enc = urllib.parse.quote(n, safe="/")
        s, _, b = _put_blob(raw, cname, enc, n.encode())
        assert s == 201, (n, s, b)
        s, _, b = raw.blob("GET", f"{cname}/{enc}")
        assert (s, b) == (200, n.encode()), n
    svc = devstore.blob_service()
    listed = {b.name for b in svc.get_container_client(cname).list_blobs()}
    assert set(names) <= listed, sorted(set(names) - listed)
    for n in names:
        assert svc.get_blob_client(cname, n).download_blob().readall() == n.encode(), n


def test_dot_segments_stay_inside_location(raw, cname, devstore):
    """Blob names containing `..` (raw and percent-encoded) either are rejected with an Azure error
    or stored as ordinary blobs; in no case does anything get written outside --location."""
    work = devstore.workdir
    before = {p for p in files_under(work) if not p.startswith(devstore.location.name + "/")}
    marker = unique("escape")
    attempts = [
        f"{cname}/a/../../../{marker}-1.txt",
        f"{cname}/../{marker}-2.txt",
        f"{cname}/%2E%2E/%2E%2E/%2E%2E/{marker}-3.txt",
        f"{cname}/..%2F..%2F..%2F{marker}-4.txt",
        f"{cname}/x/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2ftmp%2f{marker}-5.txt",
        f"{cname}/..",
        f"{cname}/.",
    ]
    for path in attempts:
        s, h, b = raw.blob("PUT", path, body=b"escape", headers={"x-ms-blob-type": "BlockBlob"})
        assert s < 500, (path, s, b[:300])
        if s >= 400:
            assert h.get("x-ms-error-code"), (path, s, b[:300])
        else:
            assert s == 201, (path, s)
            s2, _, b2 = raw.blob("GET", path)
            assert (s2, b2) == (200, b"escape"), (path, s2, b2[:200])
    after = {p for p in files_under(work) if not p.startswith(devstore.location.name + "/")}
    new = after - before
    assert not [p for p in new if marker in p], f"written outside --location: {new}"
    for base in ("/tmp", "/", str(work), str(work.parent), str(devstore.location.parent)):
        for i in range(1, 6):
            assert not list(Path(base).glob(f"{marker}-{i}.txt")), (base, i)


def test_invalid_resource_names(raw):
    """Container / queue names breaking Azure's naming rules -> 400 InvalidResourceName (or
    OutOfRangeInput for the length rule)."""
    for bad in ("Upper", "under_score", "a", "-dash", "double--dash"):
        s, h, b = raw.blob("PUT", bad, "restype=container")
        assert_azure_error(s, h, b, 400, ("InvalidResourceName", "OutOfRangeInput"))
        s, h, b = raw.queue("PUT", bad)
        assert_azure_error(s, h, b, 400, ("InvalidResourceName", "OutOfRangeInput"))


def test_overlong_blob_name(raw, cname):
    """A blob name over 1024 characters -> 400 with an Azure error code."""
    s, h, b = _put_blob(raw, cname, "n" * 1100)
    assert_azure_error(s, h, b, 400, None)


def test_garbage_authorization(devstore, cname):
    """A malformed or wrong SharedKey Authorization header -> 403 AuthenticationFailed
    (400 InvalidAuthenticationInfo for an unparseable one), never 500."""
    url = f"{devstore.blob_endpoint}/{cname}?restype=container&comp=list"
    s, h, b = raw_request("GET", url, headers={"Authorization": f"SharedKey {devstore.account_name}:AAAA"})
    assert_azure_error(s, h, b, 403, "AuthenticationFailed")
    s, h, b = raw_request("GET", url, headers={"Authorization": "SharedKey nonsense"})
    assert_azure_error(s, h, b, (400, 403), ("AuthenticationFailed", "InvalidAuthenticationInfo"))
    s, h, b = raw_request("GET", url + "&sig=abc&sv=2021-08-06&sp=r&se=2099-01-01&sr=c")
    assert_azure_error(s, h, b, 403, "AuthenticationFailed")


# --------------------------------------------------------------------------- broken connections
def _sock(devstore):
    return socket.create_connection(("127.0.0.1", devstore.blob_port), timeout=5)


def test_truncated_body_and_garbage_requests(devstore, cname, raw):
    """Clients that die mid-body, send garbage request lines or unterminated headers do not take
    the server down (and do not create blobs)."""
    path = f"/{devstore.account_name}/{cname}/truncated?{raw.sas}"
    with _sock(devstore) as s:
        s.sendall(f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-ms-blob-type: BlockBlob\r\n"
                  f"x-ms-version: 2021-08-06\r\nContent-Length: 100000\r\n\r\n".encode() + b"x" * 10)
    with _sock(devstore) as s:
        s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage-tls-hello\r\n\r\n")
        try:
            s.recv(100)
        except OSError:
            pass
    with _sock(devstore) as s:
        s.sendall(b"GET /devstoreaccount1?comp=list HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + b"a" * 100_000)
    with _sock(devstore) as s:
        s.sendall(b"NOTAMETHOD / HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            s.recv(100)
        except OSError:
            pass
    devstore.assert_alive()
    s_, _, _ = raw.blob("HEAD", f"{cname}/truncated")
    assert s_ == 404, "a truncated upload must not create the blob"


def test_control_character_name_listed_faithfully(devstore, cname):
    """A blob name with a character XML 1.0 cannot carry (U+0001) is listed so that the SDK gets the
    real name back (Azure: <Name Encoded="true">), not a different, non-existent name."""
    svc = devstore.blob_service()
    cc = svc.get_container_client(cname)
    cc.upload_blob("ctl\x01char", b"c")
    listed = [b.name for b in cc.list_blobs(name_starts_with="ctl")]
    assert listed == ["ctl\x01char"], listed
    for n in listed:
        assert cc.get_blob_client(n).exists(), f"listed name {n!r} does not exist"


def test_snapshot_or_version_read_not_silently_served(raw, cname):
    """Reading a snapshot / version that does not exist must not return the base blob (Azure:
    404 BlobNotFound, or 400 for a malformed value)."""
    _put_blob(raw, cname, "snapbase", b"base")
    for q in ("snapshot=2020-01-01T00%3A00%3A00.0000000Z", "versionid=2020-01-01T00%3A00%3A00.0000000Z"):
        s, h, b = raw.blob("GET", f"{cname}/snapbase", q)
        assert s in (400, 404), f"GET ?{q} answered {s} with {b[:60]!r}"
        assert h.get("x-ms-error-code"), h


def test_shared_key_signature_covers_the_request(devstore, raw):
    """A Shared Key signature made by the SDK's own signer works for its request and is refused
    (403 AuthenticationFailed) when replayed with another path, method, query or x-ms-* header."""
    a, b = unique("sk"), unique("sk")
    for c in (a, b):
        assert raw.blob("PUT", c, "restype=container")[0] == 201
        assert _put_blob(raw, c, "x", b"secret-" + c.encode())[0] == 201
    policy = SharedKeyCredentialPolicy(devstore.account_name, devstore.account_key)
    url = f"{devstore.blob_endpoint}/{a}/x"
    req = PipelineRequest(HttpRequest("GET", url, headers={"x-ms-version": "2021-08-06", "x-ms-date": http_date()}),
                          PipelineContext(None))
    policy.on_request(req)
    signed = dict(req.http_request.headers)
    s, _, body = raw_request("GET", url, headers=signed)
    assert (s, body) == (200, b"secret-" + a.encode())
    for method, target, extra in (("GET", f"{devstore.blob_endpoint}/{b}/x", {}),
                                  ("DELETE", url, {}),
                                  ("GET", url + "?snapshot=2020-01-01T00%3A00%3A00.0000000Z", {}),
                                  ("GET", url, {"x-ms-range": "bytes=0-3"})):
        s, h, body = raw_request(method, target, headers={**signed, **extra})
        assert_azure_error(s, h, body, 403, "AuthenticationFailed")
    assert _put_blob(raw, a, "still-here", b"")[0] == 201
    assert raw.blob("HEAD", f"{a}/x")[0] == 200


def test_expect_100_continue(devstore, cname, raw):
    """`Expect: 100-continue` (sent by libcurl for bodies over 1 MiB, by .NET and Java clients) is
    answered with `100 Continue` promptly, so the client does not stall ~1 s per upload; a request
    that will be refused anyway may get its final status instead."""
    path = f"/{devstore.account_name}/{cname}/expect.bin?{raw.sas}"
    body = b"e" * 2_000_000
    head = (f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-ms-version: 2021-08-06\r\n"
            f"x-ms-blob-type: BlockBlob\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", devstore.blob_port), timeout=5) as s:
        s.sendall(head)
        s.settimeout(0.9)
        try:
            interim = s.recv(64)
        except socket.timeout:
            interim = b""
        assert interim.startswith(b"HTTP/1.1 100"), \
            f"no '100 Continue' within 0.9 s of Expect: 100-continue (got {interim!r})"
        s.settimeout(10)
        s.sendall(body)
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    assert reply.split(b"\r\n", 1)[0].startswith(b"HTTP/1.1 201"), reply[:200]
