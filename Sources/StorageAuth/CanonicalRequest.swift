/// The parts of an HTTP request that Shared Key authorization signs.
///
/// Both sides use it: the client builds one before sending, the development server rebuilds one
/// from what arrived, and both compute the same string to sign.
public struct CanonicalRequest: Sendable {
    /// `GET`, `PUT`, ...
    public var method: String
    /// The URL path exactly as sent on the wire, percent-encoding included
    /// (path-style emulator URLs include the account: `/devstoreaccount1/queue/messages`).
    public var encodedPath: String
    /// Query parameters, already percent-decoded.
    public var query: [(name: String, value: String)]
    /// Request headers; names are matched case-insensitively.
    public var headers: [(name: String, value: String)]

    /// Creates a canonical request.
    public init(
        method: String,
        encodedPath: String,
        query: [(name: String, value: String)],
        headers: [(name: String, value: String)]
    ) {
        self.method = method
        self.encodedPath = encodedPath
        self.query = query
        self.headers = headers
    }

    /// The value of a header, or "" when absent.
    public func header(_ name: String) -> String {
        let lowered = name.lowercased()
        return self.headers.first { $0.name.lowercased() == lowered }?.value ?? ""
    }
}
