/// Shared Key and Shared Key Lite authorization for the Blob and Queue services.
///
/// The string to sign follows Microsoft's "Authorize with Shared Key" reference, checked
/// byte-for-byte against the official Python SDK's signer (`SharedKeyCredentialPolicy`).
public enum SharedKeyAuthorization {
    /// Which of the two Shared Key schemes.
    public enum Scheme: String, Sendable {
        /// `SharedKey`: signs the standard headers, every `x-ms-*` header and the full query.
        case sharedKey = "SharedKey"
        /// `SharedKeyLite`: signs Content-MD5, Content-Type, Date, `x-ms-*` and only `comp`.
        case sharedKeyLite = "SharedKeyLite"
    }

    /// How `x-ms-*` headers are ordered before signing.
    public enum HeaderOrder: Sendable, CaseIterable {
        /// The storage service's own collation, which current SDKs reproduce.
        case service
        /// Plain byte order, used by older clients; identical for ordinary header names.
        case ordinal
    }

    /// The string to sign for a request.
    public static func stringToSign(
        _ request: CanonicalRequest,
        accountName: String,
        scheme: Scheme = .sharedKey,
        headerOrder: HeaderOrder = .service
    ) -> String {
        var out = request.method.uppercased() + "\n"
        switch scheme {
        case .sharedKey:
            var contentLength = request.header("content-length")
            if contentLength == "0" { contentLength = "" }
            for value in [
                request.header("content-encoding"), request.header("content-language"), contentLength,
                request.header("content-md5"), request.header("content-type"), request.header("date"),
                request.header("if-modified-since"), request.header("if-match"), request.header("if-none-match"),
                request.header("if-unmodified-since"), request.header("range"),
            ] {
                out += value + "\n"
            }
            out += Self.canonicalizedHeaders(request, order: headerOrder)
            out += "/" + accountName + request.encodedPath
            out += Self.canonicalizedQuery(request.query)
        case .sharedKeyLite:
            out +=
                request.header("content-md5") + "\n" + request.header("content-type") + "\n"
                + request.header("date") + "\n"
            out += Self.canonicalizedHeaders(request, order: headerOrder)
            out += "/" + accountName + request.encodedPath
            if let comp = request.query.first(where: { $0.name.lowercased() == "comp" }) {
                out += "?comp=" + comp.value
            }
        }
        return out
    }

    /// The `Authorization` header value for a request.
    public static func authorization(
        _ request: CanonicalRequest,
        key: StorageAccountKey,
        scheme: Scheme = .sharedKey
    ) -> String {
        let signature = key.signature(for: Self.stringToSign(request, accountName: key.accountName, scheme: scheme))
        return "\(scheme.rawValue) \(key.accountName):\(signature)"
    }

    /// Parses `SharedKey account:signature` into its parts.
    public static func parseAuthorization(_ header: String) -> (scheme: Scheme, account: String, signature: String)? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let scheme = Scheme(rawValue: String(parts[0])) else { return nil }
        let credential = parts[1].split(separator: ":", maxSplits: 1)
        guard credential.count == 2 else { return nil }
        return (scheme, String(credential[0]).trimmingSpaces, String(credential[1]).trimmingSpaces)
    }

    /// Whether a request carries a valid signature by `key`. Both header orders are tried, so
    /// clients that predate the service collation are accepted too.
    public static func isValid(
        _ request: CanonicalRequest,
        scheme: Scheme,
        signature: String,
        key: StorageAccountKey
    ) -> Bool {
        HeaderOrder.allCases.contains { order in
            key.isValidSignature(
                signature,
                for: Self.stringToSign(request, accountName: key.accountName, scheme: scheme, headerOrder: order)
            )
        }
    }

    static func canonicalizedHeaders(_ request: CanonicalRequest, order: HeaderOrder) -> String {
        var headers: [(name: String, value: String)] = []
        for header in request.headers {
            let name = header.name.lowercased()
            guard name.hasPrefix("x-ms-") else { continue }
            headers.append((name, header.value.trimmingSpaces))
        }
        switch order {
        case .service: headers.sort { StorageHeaderCollation.compare($0.name, $1.name) < 0 }
        case .ordinal: headers.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        }
        var out = ""
        for header in headers {
            out += header.name + ":" + header.value + "\n"
        }
        return out
    }

    static func canonicalizedQuery(_ query: [(name: String, value: String)]) -> String {
        var grouped: [String: [String]] = [:]
        for item in query {
            grouped[item.name.lowercased(), default: []].append(item.value)
        }
        var out = ""
        for name in grouped.keys.sorted() {
            out += "\n" + name + ":" + grouped[name]!.sorted().joined(separator: ",")
        }
        return out
    }
}

extension String {
    var trimmingSpaces: String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view.removeFirst() }
        while let last = view.last, last == " " || last == "\t" { view.removeLast() }
        return String(view)
    }
}
