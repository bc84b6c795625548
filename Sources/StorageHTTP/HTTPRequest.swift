/// One HTTP request as the transport sends it: method, absolute URL, headers and body.
///
/// The URL must already be percent-encoded; the transport sends it as given. Headers are sent in
/// order and exactly as given (names are case-insensitive on the wire).
public struct HTTPRequest: Sendable {
    /// `GET`, `PUT`, `POST`, `DELETE`, `HEAD`, ...
    public var method: String
    /// Absolute `http://` or `https://` URL, already encoded.
    public var url: String
    /// Request headers. `Content-Length` is derived from the body and must not be set here.
    public var headers: [(name: String, value: String)]
    /// What to send after the headers.
    public var body: HTTPRequestBody
    /// Upper bound for the whole exchange; nil for the transport's default.
    public var timeout: Duration?

    /// Creates a request.
    public init(
        method: String,
        url: String,
        headers: [(name: String, value: String)] = [],
        body: HTTPRequestBody = .empty,
        timeout: Duration? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// The value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return self.headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// Replaces (or adds) a header.
    public mutating func setHeader(_ name: String, _ value: String) {
        let lowered = name.lowercased()
        self.headers.removeAll { $0.name.lowercased() == lowered }
        self.headers.append((name, value))
    }
}

/// A request body: nothing, bytes in memory, or a slice of an open file streamed from disk.
public enum HTTPRequestBody: Sendable {
    /// No body. `PUT` and `POST` still send `Content-Length: 0`.
    case empty
    /// Bytes held in memory (XML envelopes, queue messages).
    case bytes([UInt8])
    /// `length` bytes of an open file starting at `offset`, read with `pread` as the socket drains,
    /// so a request can be retried without reopening the file and never holds the body in memory.
    case file(descriptor: Int32, offset: Int64, length: Int64)

    /// The number of bytes the body holds.
    public var length: Int64 {
        switch self {
        case .empty: 0
        case .bytes(let bytes): Int64(bytes.count)
        case .file(_, _, let length): length
        }
    }
}

/// Where a response body goes.
public enum HTTPResponseDestination: Sendable {
    /// Collected in memory, up to `limit` bytes (more fails the request with `bodyTooLarge`).
    case memory(limit: Int)
    /// Written into an open file at `offset` with `pwrite`, at most `maxLength` bytes. Only a 2xx
    /// body goes to the file; an error body is collected in memory (up to 1 MiB) for its message.
    case file(descriptor: Int32, offset: Int64, maxLength: Int64)

    /// Memory with a 16 MiB limit: enough for any XML reply Azure Storage sends.
    public static let memory = HTTPResponseDestination.memory(limit: 16 * 1024 * 1024)
}
