import HTTPTypes
import Hummingbird
import StorageAuth
import StorageCore

/// Which REST service a listener serves.
public enum StorageService: String, Sendable, Hashable {
    case blob
    case queue
}

/// An incoming request, taken apart the way both services address resources:
/// `/ACCOUNT[/CONTAINER-OR-QUEUE[/REST]]?query`.
struct StorageRequest: Sendable {
    let service: StorageService
    let method: HTTPRequest.Method
    /// The path exactly as it arrived, percent-encoding included.
    let encodedPath: String
    /// Decoded query items in arrival order.
    let query: [(name: String, value: String)]
    let headers: HTTPFields
    let account: String
    /// The container (blob service) or queue (queue service) name, if the path has one.
    let resourceName: String?
    /// For blobs: the blob name, decoded. For queues: `messages` or `messages/ID`.
    let subPath: String?
    /// This request's id, echoed in `x-ms-request-id`.
    let requestID: String
    /// The client's IP address, when known.
    let clientAddress: String?

    init(
        service: StorageService,
        request: Request,
        requestID: String,
        clientAddress: String? = nil
    ) throws(StorageServiceError) {
        self.service = service
        self.clientAddress = clientAddress
        self.method = request.method
        self.headers = request.headers
        self.requestID = requestID
        let target = request.head.path ?? "/"
        let pathPart: Substring
        if let mark = target.firstIndex(of: "?") {
            pathPart = target[..<mark]
            self.query = PercentEncoding.queryItems(target[target.index(after: mark)...])
        } else {
            pathPart = target[...]
            self.query = []
        }
        self.encodedPath = String(pathPart)
        // Split on the encoded path so that an encoded slash (%2F) stays part of a name.
        var rawSegments = pathPart.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        rawSegments = try Self.removingDotSegments(rawSegments)
        guard let first = rawSegments.first, !first.isEmpty else {
            throw .invalidURI("The request names no storage account.")
        }
        guard let account = PercentEncoding.decode(first) else { throw .invalidURI("Malformed percent-encoding.") }
        self.account = account
        if rawSegments.count >= 2, !rawSegments[1].isEmpty {
            guard let name = PercentEncoding.decode(rawSegments[1]) else {
                throw .invalidURI("Malformed percent-encoding.")
            }
            self.resourceName = name
        } else {
            self.resourceName = nil
        }
        if rawSegments.count >= 3 {
            let rest = rawSegments[2...].joined(separator: "/")
            guard let decoded = PercentEncoding.decode(rest) else { throw .invalidURI("Malformed percent-encoding.") }
            self.subPath = decoded.isEmpty ? nil : decoded
        } else {
            self.subPath = nil
        }
    }

    /// Resolves `.` and `..` segments as a front end canonicalizing the URL would. A path that
    /// climbs above the account is refused.
    private static func removingDotSegments(_ segments: [String]) throws(StorageServiceError) -> [String] {
        guard segments.contains(where: { $0 == "." || $0 == ".." }) else { return segments }
        var out: [String] = []
        for segment in segments {
            switch segment {
            case ".": continue
            case "..":
                guard !out.isEmpty else { throw .invalidURI("The path climbs above the account.") }
                out.removeLast()
            default: out.append(segment)
            }
        }
        return out
    }

    /// The first value of a query parameter (names compared case-insensitively, as Azure does).
    func query(_ name: String) -> String? {
        self.query.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// A header's value.
    func header(_ name: String) -> String? {
        guard let fieldName = HTTPField.Name(name) else { return nil }
        return self.headers[fieldName]
    }

    /// `x-ms-meta-*` headers as a dictionary keyed by the name after the prefix.
    var metadata: [String: String] {
        var metadata: [String: String] = [:]
        for field in self.headers {
            let name = field.name.canonicalName
            if name.hasPrefix("x-ms-meta-") {
                metadata[String(field.name.rawName.dropFirst("x-ms-meta-".count))] = field.value
            }
        }
        return metadata
    }

    /// The pieces Shared Key signs.
    var canonical: CanonicalRequest {
        CanonicalRequest(
            method: self.method.rawValue,
            encodedPath: self.encodedPath,
            query: self.query,
            headers: self.headers.map { ($0.name.rawName, $0.value) }
        )
    }

    /// An integer query parameter validated against a range.
    func intQuery(
        _ name: String,
        default defaultValue: Int?,
        range: ClosedRange<Int>
    ) throws(StorageServiceError) -> Int? {
        guard let text = self.query(name) else { return defaultValue }
        guard let value = Int(text) else { throw .invalidQuery(name, text) }
        guard range.contains(value) else { throw .outOfRangeQuery(name, text) }
        return value
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        self.utf8.count == other.utf8.count && self.lowercased() == other.lowercased()
    }
}
