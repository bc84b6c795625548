/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    /// The status code of the final response (a `100 Continue` is never reported).
    public var status: Int
    /// Response headers in the order received; names as the server spelled them.
    public var headers: [(name: String, value: String)]
    /// The body when it went to memory (and for error replies with a file destination).
    public var body: [UInt8]
    /// Bytes written to the destination file, when there was one.
    public var bytesWrittenToFile: Int64

    /// Creates a response.
    public init(
        status: Int,
        headers: [(name: String, value: String)],
        body: [UInt8] = [],
        bytesWrittenToFile: Int64 = 0
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bytesWrittenToFile = bytesWrittenToFile
    }

    /// The value of the first header with this name, matched case-insensitively.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return self.headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// Every header whose name starts with the prefix (case-insensitively), prefix removed.
    public func headers(withPrefix prefix: String) -> [(name: String, value: String)] {
        let lowered = prefix.lowercased()
        return self.headers.compactMap { header in
            let name = header.name.lowercased()
            guard name.hasPrefix(lowered) else { return nil }
            return (String(name.dropFirst(lowered.count)), header.value)
        }
    }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(self.status) }
}
