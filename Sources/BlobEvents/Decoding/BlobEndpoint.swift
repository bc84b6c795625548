/// A blob service endpoint, `host[:port]`, and the check that an event's `data.url` names it.
///
/// Azure URLs are virtual-host style (`https://ACCOUNT.blob.core.windows.net/CONTAINER/NAME`);
/// emulators on an IP address or `localhost` are path-style (`http://127.0.0.1:10000/ACCOUNT/...`).
/// ADLS Gen2 events name the same account's `dfs` endpoint, which counts as the same account.
struct BlobEndpoint: Equatable {
    /// Lowercased host, without brackets for IPv6.
    var host: String
    /// The explicit port, if any.
    var port: Int?

    /// Parses `host`, `host:port`, `[v6]:port`, tolerating a leading `http(s)://` and trailing `/`.
    init?(_ text: String) {
        var text = Substring(text)
        for scheme in ["https://", "http://"] where text.lowercased().hasPrefix(scheme) {
            text = text.dropFirst(scheme.count)
        }
        while text.hasSuffix("/") { text = text.dropLast() }
        guard let parsed = Self.authority(text) else { return nil }
        self = parsed
    }

    private init(host: String, port: Int?) {
        self.host = host
        self.port = port
    }

    /// Whether URLs on this endpoint carry the account as their first path segment.
    var isPathStyle: Bool {
        self.host == "localhost" || self.host.contains(":") || Self.isIPv4(self.host)
    }

    /// Checks `url` against this endpoint for `account`; returns why it does not match, or nil.
    func mismatch(url: String, account: String) -> String? {
        let lowered = url.lowercased()
        let scheme: String
        if lowered.hasPrefix("https://") {
            scheme = "https"
        } else if lowered.hasPrefix("http://") {
            scheme = "http"
        } else {
            return "data.url \(Excerpt.quote(url)) is not an http or https URL"
        }
        let rest = url.utf8.dropFirst(scheme.count + 3)
        let authorityEnd =
            rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
            ?? rest.endIndex
        let authorityText = Substring(rest[rest.startIndex..<authorityEnd])
        guard !authorityText.contains("@") else {
            return "data.url \(Excerpt.quote(url)) carries user information before its host"
        }
        guard let actual = Self.authority(authorityText) else {
            return "data.url \(Excerpt.quote(url)) has no readable host"
        }
        let defaultPort = scheme == "https" ? 443 : 80
        guard self.isSameService(as: actual), (self.port ?? defaultPort) == (actual.port ?? defaultPort) else {
            return
                "data.url names another account: its host \(Excerpt.quote(actual.display)) is not the configured blob endpoint "
                + Excerpt.quote(self.display)
        }
        if self.isPathStyle {
            let path = Substring(rest[authorityEnd...]).drop { $0 == "/" }
            let segment = path.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            guard segment.lowercased() == account.lowercased() else {
                return
                    "data.url names another account: its first path segment \(Excerpt.quote(segment)) is not the configured account "
                    + Excerpt.quote(account)
            }
        }
        return nil
    }

    /// `host[:port]` as written in configuration.
    var display: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return self.port.map { "\(host):\($0)" } ?? host
    }

    /// Same host, or the same account's `blob` and `dfs` endpoints.
    private func isSameService(as other: BlobEndpoint) -> Bool {
        if self.host == other.host { return true }
        let mine = self.host.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        let theirs = other.host.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        let services: Set<Substring> = ["blob", "dfs"]
        return mine.count == 3 && theirs.count == 3 && mine[0] == theirs[0] && mine[2] == theirs[2]
            && services.contains(mine[1]) && services.contains(theirs[1])
    }

    private static func authority(_ text: Substring) -> BlobEndpoint? {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
        }
        guard !host.isEmpty, !host.contains("/"), !host.contains("@") else { return nil }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCIIDigit),
                let value = Int(portText), value <= 65535
            else { return nil }
            port = value
        }
        return BlobEndpoint(host: host.lowercased(), port: port)
    }

    private static func isIPv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { self.isASCII && self.isNumber }
}
