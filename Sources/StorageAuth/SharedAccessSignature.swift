/// A shared access signature (SAS): the signed fields carried in a URL's query, able to produce
/// its string to sign for a service SAS (blob, container, queue) or an account SAS.
///
/// Field order and version differences follow Microsoft's "Create a service SAS" and "Create an
/// account SAS" references, cross-checked against the official Python SDK's generators.
public struct SharedAccessSignature: Sendable, Hashable {
    /// What a SAS grants access to, which decides its canonicalized resource.
    public enum Scope: Sendable, Hashable {
        /// A blob (`sr=b`) or, with `blob == nil`, a container (`sr=c`).
        case blob(container: String, blob: String?)
        /// A queue.
        case queue(String)
        /// An account SAS (`ss`, `srt`).
        case account
    }

    /// `sv`, the signed version.
    public var version: String
    /// `sp`, permission letters.
    public var permissions: String
    /// `st`, optional start, ISO 8601.
    public var start: String?
    /// `se`, expiry, ISO 8601.
    public var expiry: String
    /// `sr`: `b`, `c` (service SAS for blobs).
    public var resource: String?
    /// `ss`: services of an account SAS (`b`, `q`, `f`, `t`).
    public var services: String?
    /// `srt`: resource types of an account SAS (`s`, `c`, `o`).
    public var resourceTypes: String?
    /// `si`, a stored access policy identifier.
    public var identifier: String?
    /// `sip`, an allowed IP or range.
    public var ipRange: String?
    /// `spr`: `https` or `https,http`.
    public var protocols: String?
    /// `ses`, encryption scope.
    public var encryptionScope: String?
    /// `rscc`, `rscd`, `rsce`, `rscl`, `rsct`: response header overrides.
    public var cacheControl: String?
    public var contentDisposition: String?
    public var contentEncoding: String?
    public var contentLanguage: String?
    public var contentType: String?
    /// `sig`, present once signed.
    public var signature: String?

    /// Creates an unsigned SAS.
    public init(version: String = "2025-11-05", permissions: String, start: String? = nil, expiry: String) {
        self.version = version
        self.permissions = permissions
        self.start = start
        self.expiry = expiry
    }

    /// The query names a SAS consists of. A request carrying `sig` is SAS-authorized.
    public static let queryNames: Set<String> = [
        "sv", "sp", "st", "se", "sr", "ss", "srt", "si", "sip", "spr", "ses", "rscc", "rscd", "rsce", "rscl",
        "rsct", "sig", "skoid", "sktid", "skt", "ske", "sks", "skv", "sdd", "saoid", "suoid", "scid",
    ]

    /// Reads a SAS from decoded query items; nil when there is no `sig`.
    public init?(query: [(name: String, value: String)]) {
        var fields: [String: String] = [:]
        for item in query where Self.queryNames.contains(item.name) {
            fields[item.name] = item.value
        }
        guard let signature = fields["sig"] else { return nil }
        self.version = fields["sv"] ?? ""
        self.permissions = fields["sp"] ?? ""
        self.start = fields["st"]
        self.expiry = fields["se"] ?? ""
        self.resource = fields["sr"]
        self.services = fields["ss"]
        self.resourceTypes = fields["srt"]
        self.identifier = fields["si"]
        self.ipRange = fields["sip"]
        self.protocols = fields["spr"]
        self.encryptionScope = fields["ses"]
        self.cacheControl = fields["rscc"]
        self.contentDisposition = fields["rscd"]
        self.contentEncoding = fields["rsce"]
        self.contentLanguage = fields["rscl"]
        self.contentType = fields["rsct"]
        self.signature = signature
    }

    /// The string to sign for this SAS over `scope` in `accountName`.
    public func stringToSign(scope: Scope, accountName: String) -> String {
        let hasEncryptionScope = self.version >= "2020-12-06"
        func line(_ value: String?) -> String { (value ?? "") + "\n" }
        switch scope {
        case .account:
            var out = accountName + "\n" + line(self.permissions) + line(self.services) + line(self.resourceTypes)
                + line(self.start) + line(self.expiry) + line(self.ipRange) + line(self.protocols) + line(self.version)
            if hasEncryptionScope { out += line(self.encryptionScope) }
            return out
        case .queue(let queue):
            var out = line(self.permissions) + line(self.start) + line(self.expiry)
                + line("/queue/\(accountName)/\(queue)") + line(self.identifier) + line(self.ipRange)
                + line(self.protocols) + line(self.version)
            out.removeLast()
            return out
        case .blob(let container, let blob):
            let path = blob.map { "/blob/\(accountName)/\(container)/\($0)" } ?? "/blob/\(accountName)/\(container)"
            var out = line(self.permissions) + line(self.start) + line(self.expiry) + line(path)
                + line(self.identifier) + line(self.ipRange) + line(self.protocols) + line(self.version)
            if self.version >= "2018-11-09" {
                out += line(self.resource) + line(nil)  // snapshot time
            }
            if hasEncryptionScope { out += line(self.encryptionScope) }
            out += line(self.cacheControl) + line(self.contentDisposition) + line(self.contentEncoding)
                + line(self.contentLanguage) + line(self.contentType)
            out.removeLast()
            return out
        }
    }

    /// This SAS signed with `key` over `scope`.
    public func signed(scope: Scope, key: StorageAccountKey) -> SharedAccessSignature {
        var copy = self
        copy.signature = key.signature(for: self.stringToSign(scope: scope, accountName: key.accountName))
        return copy
    }

    /// The query items of this SAS, in the order the SDKs write them.
    public var queryItems: [(name: String, value: String)] {
        let ordered: [(String, String?)] = [
            ("sv", self.version), ("ss", self.services), ("srt", self.resourceTypes), ("st", self.start),
            ("se", self.expiry), ("sp", self.permissions), ("sip", self.ipRange), ("spr", self.protocols),
            ("sr", self.resource), ("si", self.identifier), ("ses", self.encryptionScope),
            ("rscc", self.cacheControl), ("rscd", self.contentDisposition), ("rsce", self.contentEncoding),
            ("rscl", self.contentLanguage), ("rsct", self.contentType), ("sig", self.signature),
        ]
        return ordered.compactMap { name, value in value.map { (name, $0) } }
    }
}
