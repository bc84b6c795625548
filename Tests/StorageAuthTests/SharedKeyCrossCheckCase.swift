import Foundation
import StorageAuth
import Testing

/// One request that both StorageAuth and the Python SDK's `SharedKeyCredentialPolicy` sign.
struct SharedKeyCrossCheckCase: Sendable, CustomTestStringConvertible {
    /// Which SDK package's policy signs it.
    enum Service: String, Sendable {
        case blob, queue
    }

    /// A place where the SDK's signer departs from the storage service's documented rules (which
    /// StorageAuth, the service and Azurite follow), written as the edit that turns StorageAuth's
    /// string to sign into the SDK's. The SDK never sends such requests itself, so its own
    /// requests are unaffected.
    struct SDKDeparture: Sendable {
        var reason: String
        var ours: String
        var sdk: String

        func apply(to stringToSign: String) -> String {
            stringToSign.replacingOccurrences(of: self.ours, with: self.sdk)
        }
    }

    var name: String
    var service: Service
    var account: CrossCheckAccount = .development
    var method: String
    var url: String
    var headers: [(name: String, value: String)]
    /// Sent as UTF-8; the transport adds its Content-Length.
    var body: String?
    var departure: SDKDeparture?

    var testDescription: String { self.name }

    /// The request as StorageAuth sees it: the path as sent, the query percent-decoded.
    var canonicalRequest: CanonicalRequest {
        let components = URLComponents(string: self.url)!
        let query = (components.percentEncodedQueryItems ?? []).map { item in
            (name: item.name.removingPercentEncoding!, value: (item.value ?? "").removingPercentEncoding!)
        }
        var headers = self.headers
        if let body = self.body, !body.isEmpty {
            headers.append(("Content-Length", String(body.utf8.count)))
        }
        return CanonicalRequest(
            method: self.method,
            encodedPath: components.percentEncodedPath,
            query: query,
            headers: headers
        )
    }

    var toolCase: PythonSDKSigner.Case {
        var tool = PythonSDKSigner.Case(
            id: self.name,
            kind: "sharedKey",
            account: self.account.name,
            key: self.account.base64Key
        )
        tool.service = self.service.rawValue
        tool.method = self.method
        tool.url = self.url
        tool.headers = self.headers.map { [$0.name, $0.value] }
        tool.body = self.body
        return tool
    }
}

extension SharedKeyCrossCheckCase {
    static let date = ("x-ms-date", "Fri, 20 Nov 2026 09:15:43 GMT")
    static let version = ("x-ms-version", "2026-10-06")
    static let devQueue = "http://127.0.0.1:10001/devstoreaccount1"
    static let devBlob = "http://127.0.0.1:10000/devstoreaccount1"
    static let otherQueue = "https://blobflowxcheck.queue.core.windows.net"
    static let otherBlob = "https://blobflowxcheck.blob.core.windows.net"

    /// Requests on which StorageAuth and the SDK must agree byte for byte.
    static let agreeing: [SharedKeyCrossCheckCase] = [
        // Queue service
        .init(
            name: "queue: get messages (path-style)",
            service: .queue,
            method: "GET",
            url: "\(devQueue)/events/messages?numofmessages=32&visibilitytimeout=30",
            headers: [date, version, ("x-ms-client-request-id", "5e4a1c3b-0000-4000-8000-000000000001")]
        ),
        .init(
            name: "queue: peek",
            service: .queue,
            method: "GET",
            url: "\(devQueue)/events/messages?peekonly=true&numofmessages=5",
            headers: [date, version]
        ),
        .init(
            name: "queue: put message with body",
            service: .queue,
            method: "POST",
            url: "\(devQueue)/events/messages?visibilitytimeout=0&messagettl=-1",
            headers: [date, version, ("Content-Type", "application/xml; charset=utf-8")],
            body: "<QueueMessage><MessageText>eyJpZCI6MX0=</MessageText></QueueMessage>"
        ),
        .init(
            name: "queue: delete message, encoded pop receipt",
            service: .queue,
            method: "DELETE",
            url:
                "\(devQueue)/events/messages/0d2c5b8e-2f55-4a4c-9d51-3c1a7a3d6c11?popreceipt=AgAAAAMAAAAAAAAA%2B%2FkQ%3D%3D",
            headers: [date, version]
        ),
        .init(
            name: "queue: update message, Content-Length 0",
            service: .queue,
            method: "PUT",
            url: "\(devQueue)/events/messages/0d2c5b8e?popreceipt=AgAAAAMAAAAAAAAA%2B%2FkQ%3D%3D&visibilitytimeout=30",
            headers: [date, version, ("Content-Length", "0")]
        ),
        .init(
            name: "queue: metadata (HEAD)",
            service: .queue,
            method: "HEAD",
            url: "\(devQueue)/events?comp=metadata",
            headers: [date, version]
        ),
        .init(
            name: "queue: create with mixed-case metadata (host-style)",
            service: .queue,
            account: .other,
            method: "PUT",
            url: "\(otherQueue)/events",
            headers: [date, version, ("x-ms-meta-Purpose", "Tests"), ("Content-Length", "0")]
        ),
        .init(
            name: "queue: clear (host-style)",
            service: .queue,
            account: .other,
            method: "DELETE",
            url: "\(otherQueue)/events/messages",
            headers: [date, version]
        ),
        .init(
            name: "queue: list queues at the root (host-style)",
            service: .queue,
            account: .other,
            method: "GET",
            url: "\(otherQueue)/?comp=list&prefix=ev&include=metadata&maxresults=10",
            headers: [date, version]
        ),

        // Blob service
        .init(
            name: "blob: put, body, Content-MD5, collation-sensitive metadata (path-style)",
            service: .blob,
            method: "PUT",
            url: "\(devBlob)/input/b",
            headers: [
                date, version, ("x-ms-blob-type", "BlockBlob"), ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww=="), ("x-ms-meta-a-b", "1"), ("x-ms-meta-ab", "2"),
                ("x-ms-meta-a_b", "3"), ("x-ms-meta-a.b", "4"),
            ],
            body: "hello world"
        ),
        .init(
            name: "blob: put with a space in the name, non-ASCII body (host-style)",
            service: .blob,
            account: .other,
            method: "PUT",
            url: "\(otherBlob)/c/dir/b%20x.txt",
            headers: [
                date, version, ("x-ms-blob-type", "BlockBlob"), ("Content-Type", "text/plain"),
                ("Content-Language", "de-DE"),
                ("Content-Encoding", "identity"), ("x-ms-blob-content-disposition", "attachment; filename=\"b x.txt\""),
            ],
            body: "Grüße ☃ – 日本語"
        ),
        .init(
            name: "blob: unicode name",
            service: .blob,
            account: .other,
            method: "PUT",
            url: "\(otherBlob)/c/%E6%97%A5%E6%9C%AC%E8%AA%9E/caf%C3%A9%20%F0%9F%98%80.txt",
            headers: [date, version, ("x-ms-blob-type", "BlockBlob")],
            body: "x"
        ),
        .init(
            name: "blob: get with x-ms-range",
            service: .blob,
            method: "GET",
            url: "\(devBlob)/input/dir/new-file.txt",
            headers: [date, version, ("x-ms-range", "bytes=0-1023"), ("x-ms-range-get-content-md5", "true")]
        ),
        .init(
            name: "blob: get with every condition header",
            service: .blob,
            method: "GET",
            url: "\(devBlob)/input/dir/new-file.txt",
            headers: [
                date, version, ("If-Match", "\"0x8D4BCC2E4835CD0\""), ("If-None-Match", "\"0x8D4BCC2E4835CD1\""),
                ("If-Modified-Since", "Thu, 19 Nov 2026 09:15:43 GMT"),
                ("If-Unmodified-Since", "Sat, 21 Nov 2026 09:15:43 GMT"),
            ]
        ),
        .init(
            name: "blob: properties (HEAD, If-None-Match *)",
            service: .blob,
            method: "HEAD",
            url: "\(devBlob)/input/a",
            headers: [date, version, ("If-None-Match", "*")]
        ),
        .init(
            name: "blob: delete a snapshot, encoded time",
            service: .blob,
            method: "DELETE",
            url: "\(devBlob)/input/a?snapshot=2026-11-20T09%3A15%3A43.1234567Z",
            headers: [date, version]
        ),
        .init(
            name: "container: list with prefix, delimiter and empty marker",
            service: .blob,
            method: "GET",
            url:
                "\(devBlob)/input?restype=container&comp=list&prefix=dir%2F&delimiter=%2F&include=metadata&maxresults=100&marker=",
            headers: [date, version]
        ),
        .init(
            name: "container: create, Content-Length 0",
            service: .blob,
            method: "PUT",
            url: "\(devBlob)/output?restype=container",
            headers: [date, version, ("Content-Length", "0")]
        ),
        .init(
            name: "blob: put block",
            service: .blob,
            method: "PUT",
            url: "\(devBlob)/input/big.bin?comp=block&blockid=AAAAAAAAAAE%3D",
            headers: [date, version, ("Content-Type", "application/octet-stream")],
            body: "block data"
        ),
        .init(
            name: "blob: put block list",
            service: .blob,
            account: .other,
            method: "PUT",
            url: "\(otherBlob)/c/big.bin?comp=blocklist",
            headers: [
                date, version, ("Content-Type", "application/xml"),
                ("x-ms-blob-content-type", "application/octet-stream"),
                ("x-ms-blob-content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
            ],
            body: "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>AAAAAAAAAAE=</Latest></BlockList>"
        ),
        .init(
            name: "blob: set metadata with unusual casing",
            service: .blob,
            method: "PUT",
            url: "\(devBlob)/input/a?comp=metadata",
            headers: [
                date, version, ("x-ms-meta-CamelCase", "v1"), ("x-ms-meta-UPPER", "V2"),
                ("x-ms-meta-with_underscore", "v 3"),
                ("x-ms-meta-dash-name", "v4"), ("Content-Length", "0"),
            ]
        ),
        .init(
            name: "service: properties at the account root (path-style)",
            service: .blob,
            method: "GET",
            url: "\(devBlob)/?restype=service&comp=properties",
            headers: [date, version]
        ),
        .init(
            name: "service: list containers at the root (host-style)",
            service: .blob,
            account: .other,
            method: "GET",
            url: "\(otherBlob)/?comp=list&include=metadata",
            headers: [date, version]
        ),
        .init(
            name: "container: mixed-case query names and values",
            service: .blob,
            method: "GET",
            url: "\(devBlob)/input?Comp=list&restype=container&prefix=Dir%2FSub",
            headers: [date, version]
        ),
        .init(
            name: "blob: Date header instead of x-ms-date",
            service: .blob,
            method: "GET",
            url: "\(devBlob)/input/a",
            headers: [("Date", "Fri, 20 Nov 2026 09:15:43 GMT"), version]
        ),
        .init(
            name: "blob: copy from a SAS URL",
            service: .blob,
            account: .other,
            method: "PUT",
            url: "\(otherBlob)/c/copy.txt",
            headers: [
                date, version,
                (
                    "x-ms-copy-source",
                    "https://source.blob.core.windows.net/c/src%20file.txt?sv=2026-10-06&sr=b&sp=r&sig=abc%2Bdef%3D"
                ),
                ("x-ms-requires-sync", "true"), ("Content-Length", "0"),
            ]
        ),
    ]

    /// Requests on which the SDK's signer departs from the service's rules; StorageAuth keeps the
    /// service's, and the test checks that the difference is exactly the documented one.
    static let departing: [SharedKeyCrossCheckCase] = [
        .init(
            name: "blob: get with a Range header",
            service: .blob,
            method: "GET",
            url: "\(devBlob)/input/a",
            headers: [date, version, ("Range", "bytes=0-1023")],
            departure: .init(
                reason:
                    "the SDK looks up a header named 'byte_range', so Range is never signed (it sends x-ms-range instead)",
                ours: "\nbytes=0-1023\n",
                sdk: "\n\n"
            )
        ),
        .init(
            name: "blob: upper-case X-MS- header name",
            service: .blob,
            method: "GET",
            url: "\(devBlob)/input/a",
            headers: [date, version, ("X-MS-Client-Request-Id", "abc")],
            departure: .init(
                reason: "the SDK matches the x-ms- prefix case-sensitively and skips the header",
                ours: "x-ms-client-request-id:abc\n",
                sdk: ""
            )
        ),
        .init(
            name: "blob: x-ms- value with surrounding spaces",
            service: .blob,
            method: "PUT",
            url: "\(devBlob)/input/a?comp=metadata",
            headers: [date, version, ("x-ms-meta-note", "  padded  ")],
            departure: .init(
                reason:
                    "the SDK does not trim header values (HTTP drops the spaces on the wire, so the service never sees them)",
                ours: "x-ms-meta-note:padded\n",
                sdk: "x-ms-meta-note:  padded  \n"
            )
        ),
        .init(
            name: "container: repeated query name",
            service: .blob,
            method: "GET",
            url: "\(devBlob)/input?restype=container&comp=list&include=snapshots&include=metadata",
            headers: [date, version],
            departure: .init(
                reason:
                    "the SDK keeps only the last value of a repeated parameter; the service joins all, sorted, with commas",
                ours: "\ninclude:metadata,snapshots",
                sdk: "\ninclude:metadata"
            )
        ),
        .init(
            name: "container: mixed-case query names that sort differently",
            service: .blob,
            method: "GET",
            url: "\(devBlob)/input?comp=list&Restype=container&Prefix=a",
            headers: [date, version],
            departure: .init(
                reason: "the SDK sorts parameter names before lower-casing them, so upper-case names sort first",
                ours: "\ncomp:list\nprefix:a\nrestype:container",
                sdk: "\nprefix:a\nrestype:container\ncomp:list"
            )
        ),
    ]
}
