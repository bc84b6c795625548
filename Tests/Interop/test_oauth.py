"""OAuth mode: azure-storage-blob / azure-storage-queue with a token credential against
`blobflow devstore --oauth`, plus user delegation keys and user delegation SAS.

The Python SDKs send bearer tokens only over https: a client built with a token credential and an
http URL raises `ValueError("Token credential is only supported with HTTPS.")`, and azure-core's
BearerTokenCredentialPolicy refuses non-https requests unless each call passes
`enforce_https=False`. devstore speaks plain http, so these tests put a small TLS-terminating proxy
(`TLSProxy`, with a throwaway self-signed certificate for 127.0.0.1) in front of it and point the
SDK at https: the SDK runs exactly as it does against Azure, with no monkeypatching.

The token credential is what azure-identity's credentials are to the SDK: an object with
`get_token(*scopes, **kwargs)` returning `azure.core.credentials.AccessToken`. Its tokens are
unsigned JWTs shaped like Microsoft Entra v1 access tokens (devstore checks claims, not signatures).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import selectors
import socket
import ssl
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.storage.blob import BlobClient, BlobSasPermissions, BlobServiceClient, generate_blob_sas
from azure.storage.queue import QueueClient, QueueSasPermissions, QueueServiceClient, generate_queue_sas

from support import NO_RETRY, raw_request, sdk_error_desc, unique, wait_until

OBJECT_ID = "6d1f2e3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a"
TENANT_ID = "2e4f6a8b-0c1d-4e3f-9a5b-7c9d1e3f5a7b"


# --------------------------------------------------------------------------- tokens
def _b64url(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def make_jwt(lifetime: int = 3600, audience: str = "https://storage.azure.com") -> str:
    """An unsigned JWT with the claims of an Entra v1 access token for Azure Storage."""
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": "test"}
    claims = {
        "aud": audience, "iss": f"https://sts.windows.net/{TENANT_ID}/", "iat": now - 60, "nbf": now - 60,
        "exp": now + lifetime, "oid": OBJECT_ID, "tid": TENANT_ID, "sub": OBJECT_ID, "ver": "1.0",
    }
    return f"{_b64url(header)}.{_b64url(claims)}.bm90LWEtcmVhbC1zaWduYXR1cmU"


class FakeEntraCredential:
    """A TokenCredential for the SDK: fresh tokens living `lifetime` seconds (negative: expired).
    Records each call's scopes and tenant_id (the SDK passes the tenant from a 401 challenge)."""

    def __init__(self, lifetime: int = 3600):
        self.lifetime = lifetime
        self.calls: list[dict] = []

    def get_token(self, *scopes, claims=None, tenant_id=None, enable_cae=False, **kwargs) -> AccessToken:
        self.calls.append({"scopes": scopes, "tenant_id": tenant_id})
        return AccessToken(make_jwt(self.lifetime), int(time.time()) + self.lifetime)


# --------------------------------------------------------------------------- TLS in front of devstore
def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for IP 127.0.0.1 (CA:true, so it is its own trust anchor) and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "devstore test TLS")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "tls-cert.pem", folder / "tls-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class TLSProxy:
    """Accepts TLS on 127.0.0.1:<port> and forwards the decrypted bytes to a plain-http port."""

    def __init__(self, target_port: int, cert: Path, key: Path):
        self.target_port = target_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(cert), str(key))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)  # so the accept loop notices close()
        self.port = self.listener.getsockname()[1]
        self.closed = False
        self.thread = threading.Thread(target=self._accept, daemon=True, name="tls-proxy")
        self.thread.start()

    def url_for(self, plain_endpoint: str) -> str:
        """The https URL of a devstore endpoint (`http://127.0.0.1:PORT/account`) through this proxy."""
        path = urllib.parse.urlsplit(plain_endpoint).path
        return f"https://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True, name="tls-proxy-conn").start()

    def _serve(self, client: socket.socket) -> None:
        try:
            client.settimeout(30)
            tls = self.context.wrap_socket(client, server_side=True)
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=30)
        except (OSError, ssl.SSLError):
            client.close()
            return
        tls.setblocking(False)
        upstream.setblocking(False)
        selector = selectors.DefaultSelector()
        selector.register(tls, selectors.EVENT_READ)
        selector.register(upstream, selectors.EVENT_READ)
        try:
            while not self.closed:
                for event, _ in selector.select(timeout=1):
                    source = event.fileobj
                    sink = upstream if source is tls else tls
                    while True:  # drain what TLS has decrypted but select cannot see
                        try:
                            data = source.recv(65536)
                        except (ssl.SSLWantReadError, BlockingIOError):
                            break
                        if not data:
                            return
                        self._send_all(sink, data)
                        if source is not tls or not tls.pending():
                            break
        except (OSError, ssl.SSLError):
            pass
        finally:
            selector.close()
            for s in (tls, upstream):
                try:
                    s.close()
                except OSError:
                    pass

    @staticmethod
    def _send_all(sock: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                sent = sock.send(view)
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                selectors.DefaultSelector().select(timeout=0.01)
                continue
            view = view[sent:]

    def close(self) -> None:
        self.closed = True
        self.thread.join(2)
        self.listener.close()


# --------------------------------------------------------------------------- fixtures
class OAuthStore:
    """A devstore (started with `--oauth` unless told otherwise) behind TLS proxies."""

    def __init__(self, store, folder: Path):
        self.store = store
        self.cert, key = _self_signed_certificate(folder)
        self.blob_proxy = TLSProxy(store.blob_port, self.cert, key)
        self.queue_proxy = TLSProxy(store.queue_port, self.cert, key)
        self.blob_url = self.blob_proxy.url_for(store.blob_endpoint)
        self.queue_url = self.queue_proxy.url_for(store.queue_endpoint)

    @property
    def client_options(self) -> dict:
        return dict(NO_RETRY, connection_verify=str(self.cert))

    def blob_service(self, credential) -> BlobServiceClient:
        return BlobServiceClient(self.blob_url, credential=credential, **self.client_options)

    def queue_service(self, credential) -> QueueServiceClient:
        return QueueServiceClient(self.queue_url, credential=credential, **self.client_options)

    def close(self) -> None:
        self.blob_proxy.close()
        self.queue_proxy.close()


@pytest.fixture
def oauth_store(devstore_factory, tmp_path):
    proxied = OAuthStore(devstore_factory(args=["--oauth"]), tmp_path)
    yield proxied
    proxied.close()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --------------------------------------------------------------------------- tests
def test_sdk_refuses_tokens_over_http(devstore_factory):
    """Why the proxy exists: the SDK will not build a token-credentialed client for an http URL."""
    store = devstore_factory(args=["--oauth"])
    wait_until(lambda: any(line.startswith("OAuth: bearer tokens accepted") for line in store.stdout_lines),
               timeout=5, what="the OAuth line in devstore's banner")
    with pytest.raises(ValueError, match="HTTPS"):
        BlobServiceClient(store.blob_endpoint, credential=FakeEntraCredential())


def test_queue_with_token(oauth_store):
    """Create, send, receive, delete and delete the queue with a bearer token."""
    credential = FakeEntraCredential()
    qs = oauth_store.queue_service(credential)
    q = qs.create_queue(unique("oq"))
    q.send_message("sent with a bearer token")
    got = list(next(q.receive_messages(messages_per_page=32, visibility_timeout=30).by_page(), []))
    assert [m.content for m in got] == ["sent with a bearer token"]
    q.delete_message(got[0])
    assert q.get_queue_properties().approximate_message_count == 0
    q.delete_queue()
    assert credential.calls and credential.calls[0]["scopes"] == ("https://storage.azure.com/.default",)


def test_blob_with_token(oauth_store):
    """Create a container, upload, list, download and delete with a bearer token."""
    bs = oauth_store.blob_service(FakeEntraCredential())
    cc = bs.create_container(unique("oc"))
    cc.upload_blob("dir/a.txt", b"uploaded with a bearer token")
    assert [b.name for b in cc.list_blobs()] == ["dir/a.txt"]
    assert cc.download_blob("dir/a.txt").readall() == b"uploaded with a bearer token"
    cc.delete_blob("dir/a.txt")
    cc.delete_container()


def test_expired_token_gets_401_with_a_challenge_the_sdk_follows(oauth_store):
    """An expired token: 401 InvalidAuthenticationInfo. The SDK parses the WWW-Authenticate
    challenge, asks the credential again for the tenant it names, retries once, and gives up."""
    credential = FakeEntraCredential(lifetime=-3600)
    bs = oauth_store.blob_service(credential)
    with pytest.raises(ClientAuthenticationError) as ei:
        bs.create_container(unique("ox"))
    assert ei.value.status_code == 401, sdk_error_desc(ei.value)
    assert ei.value.error_code == "InvalidAuthenticationInfo", sdk_error_desc(ei.value)
    assert "expired" in str(ei.value)
    assert TENANT_ID in [c["tenant_id"] for c in credential.calls], credential.calls

    status, headers, body = raw_request("GET", oauth_store.store.blob_endpoint + "?comp=list",
                                        headers={"Authorization": "Bearer " + make_jwt(-3600)})
    assert status == 401
    assert headers["www-authenticate"] == (
        f"Bearer authorization_uri=https://login.microsoftonline.com/{TENANT_ID}/oauth2/authorize "
        "resource_id=https://storage.azure.com")
    assert b"<AuthenticationErrorDetail>Lifetime validation failed. The token is expired." in body


def test_wrong_audience_and_garbage_tokens(oauth_store):
    """A token for another resource, or not a JWT at all, is refused with 401."""
    for token in (make_jwt(audience="https://vault.azure.net"), "not-a-jwt"):
        status, headers, _ = raw_request("GET", oauth_store.store.queue_endpoint + "?comp=list",
                                         headers={"Authorization": "Bearer " + token})
        assert status == 401 and headers["x-ms-error-code"] == "InvalidAuthenticationInfo"


def test_bearer_token_needs_a_recent_version(oauth_store):
    """Bearer with x-ms-version before 2017-11-09: 403 AuthenticationFailed, as Azure answers."""
    status, headers, body = raw_request("GET", oauth_store.store.blob_endpoint + "?comp=list",
                                        headers={"Authorization": "Bearer " + make_jwt(),
                                                 "x-ms-version": "2017-07-29"})
    assert status == 403 and headers["x-ms-error-code"] == "AuthenticationFailed"
    assert b"Authentication scheme Bearer is not supported in this version." in body


def test_blob_user_delegation_sas(oauth_store):
    """get_user_delegation_key + generate_blob_sas(user_delegation_key=...): the SAS downloads the
    blob (SDK over https, and anonymously over plain http) but cannot write it."""
    bs = oauth_store.blob_service(FakeEntraCredential())
    cc = bs.create_container(unique("ud"))
    cc.upload_blob("report.csv", b"a,b\n1,2\n")
    key = bs.get_user_delegation_key(_now() - dt.timedelta(minutes=5), _now() + dt.timedelta(hours=1))
    assert (key.signed_oid, key.signed_tid, key.signed_service) == (OBJECT_ID, TENANT_ID, "b")
    sas = generate_blob_sas(
        "devstoreaccount1", cc.container_name, "report.csv", user_delegation_key=key,
        permission=BlobSasPermissions(read=True), expiry=_now() + dt.timedelta(minutes=30))
    assert "skoid=" in sas

    blob_path = f"/{cc.container_name}/report.csv"
    via_sdk = BlobClient.from_blob_url(oauth_store.blob_url + blob_path + "?" + sas, **oauth_store.client_options)
    assert via_sdk.download_blob().readall() == b"a,b\n1,2\n"
    status, _, body = raw_request("GET", oauth_store.store.blob_endpoint + blob_path + "?" + sas)
    assert status == 200 and body == b"a,b\n1,2\n"

    with pytest.raises(HttpResponseError) as ei:
        via_sdk.upload_blob(b"changed", overwrite=True)
    assert ei.value.status_code == 403, sdk_error_desc(ei.value)
    assert ei.value.error_code == "AuthorizationPermissionMismatch", sdk_error_desc(ei.value)

    forged = sas.replace(f"skoid={OBJECT_ID}", "skoid=00000000-0000-0000-0000-000000000000")
    status, headers, _ = raw_request("GET", oauth_store.store.blob_endpoint + blob_path + "?" + forged)
    assert status == 403 and headers["x-ms-error-code"] == "AuthenticationFailed"


def test_queue_user_delegation_sas(oauth_store):
    """The queue SDK's own get_user_delegation_key and generate_queue_sas: peek works, add does not."""
    qs = oauth_store.queue_service(FakeEntraCredential())
    q = qs.create_queue(unique("udq"))
    q.send_message("hello")
    # start is optional in the REST API, but azure-storage-queue 12.18.1 fails without it.
    key = qs.get_user_delegation_key(start=_now() - dt.timedelta(minutes=5), expiry=_now() + dt.timedelta(hours=1))
    assert key.signed_service == "q"
    sas = generate_queue_sas("devstoreaccount1", q.queue_name, user_delegation_key=key,
                             permission=QueueSasPermissions(read=True), expiry=_now() + dt.timedelta(minutes=30))
    reader = QueueClient.from_queue_url(f"{oauth_store.queue_url}/{q.queue_name}?{sas}", **oauth_store.client_options)
    assert [m.content for m in reader.peek_messages()] == ["hello"]
    with pytest.raises(HttpResponseError) as ei:
        reader.send_message("nope")
    assert ei.value.status_code == 403, sdk_error_desc(ei.value)


def test_user_delegation_key_rules(oauth_store):
    """Shared Key cannot get a key (403 AuthenticationFailed); a key living more than seven days is
    400 InvalidXmlNodeValue, as Azure answers."""
    shared_key = oauth_store.store.blob_service()
    with pytest.raises(HttpResponseError) as ei:
        shared_key.get_user_delegation_key(_now(), _now() + dt.timedelta(hours=1))
    assert ei.value.status_code == 403 and ei.value.error_code == "AuthenticationFailed", sdk_error_desc(ei.value)

    bs = oauth_store.blob_service(FakeEntraCredential())
    with pytest.raises(HttpResponseError) as ei:
        bs.get_user_delegation_key(_now(), _now() + dt.timedelta(days=7, minutes=5))
    assert ei.value.status_code == 400 and ei.value.error_code == "InvalidXmlNodeValue", sdk_error_desc(ei.value)


def test_without_oauth_bearer_is_refused(devstore_factory, tmp_path):
    """Without --oauth a bearer token is 403 AuthenticationFailed."""
    proxied = OAuthStore(devstore_factory(), tmp_path)
    try:
        with pytest.raises(HttpResponseError) as ei:
            proxied.blob_service(FakeEntraCredential()).create_container(unique("no"))
        assert ei.value.status_code == 403 and ei.value.error_code == "AuthenticationFailed", sdk_error_desc(ei.value)
    finally:
        proxied.close()
