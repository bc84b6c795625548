/// A shared access signature (SAS): the signed fields carried in a URL's query, able to produce
/// its string to sign for a service SAS (blob, container, directory, queue), an account SAS or a
/// user delegation SAS.
///
/// Field order and version differences follow Microsoft's "Create a service SAS", "Create an
/// account SAS" and "Create a user delegation SAS" references, cross-checked against the official
/// Python SDK's generators (`Tests/StorageAuthTests/SDKCrossCheckTests.swift`).
public struct SharedAccessSignature: Sendable, Hashable {
    /// What a SAS grants access to, which decides its canonicalized resource.
    public enum Scope: Sendable, Hashable {
        /// A blob (`sr=b`, `bs`, `bv`), a directory (`sr=d`, with `directoryDepth`) or, with
        /// `blob == nil`, a container (`sr=c`).
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
    /// The snapshot time (`sr=bs`) or version ID (`sr=bv`) a blob SAS is limited to. It is signed
    /// but not part of `queryItems`: the request's own `snapshot` or `versionid` parameter carries it.
    public var snapshotTime: String?
    /// `sdd`: the depth of the directory a directory SAS (`sr=d`) grants, `0` for the root.
    public var directoryDepth: Int?

    /// `skoid`: the object ID of the principal whose user delegation key signed this SAS. Together
    /// with the other `sk*` fields it makes this a user delegation SAS; see `signed(scope:userDelegationKey:)`.
    public var signedObjectID: String?
    /// `sktid`: the tenant of the user delegation key's principal.
    public var signedTenantID: String?
    /// `skt`: when the user delegation key becomes valid.
    public var signedKeyStart: String?
    /// `ske`: when the user delegation key expires.
    public var signedKeyExpiry: String?
    /// `sks`: the service the user delegation key is valid for.
    public var signedKeyService: String?
    /// `skv`: the version that issued the user delegation key.
    public var signedKeyVersion: String?
    /// `skdutid`: the delegated user's tenant, from the user delegation key (2025-07-05 and later).
    public var signedDelegatedUserTenantID: String?
    /// `sduoid`: the only Microsoft Entra user allowed to use this user delegation SAS (2025-07-05 and later).
    public var delegatedUserObjectID: String?
    /// `saoid`: a user the key's owner pre-authorizes, without a further permission check (2020-02-10 and later).
    public var authorizedObjectID: String?
    /// `suoid`: a user whose access is additionally checked against POSIX ACLs (2020-02-10 and later).
    public var unauthorizedObjectID: String?
    /// `scid`: a correlation ID logged with each access (2020-02-10 and later).
    public var correlationID: String?
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
        "skdutid", "sduoid",
    ]

    /// Whether this is a user delegation SAS: one signed with a user delegation key, whose fields it carries.
    public var isUserDelegation: Bool {
        self.signedObjectID != nil || self.signedKeyVersion != nil
    }

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
        self.directoryDepth = fields["sdd"].flatMap { Int($0) }
        self.signedObjectID = fields["skoid"]
        self.signedTenantID = fields["sktid"]
        self.signedKeyStart = fields["skt"]
        self.signedKeyExpiry = fields["ske"]
        self.signedKeyService = fields["sks"]
        self.signedKeyVersion = fields["skv"]
        self.signedDelegatedUserTenantID = fields["skdutid"]
        self.delegatedUserObjectID = fields["sduoid"]
        self.authorizedObjectID = fields["saoid"]
        self.unauthorizedObjectID = fields["suoid"]
        self.correlationID = fields["scid"]
        switch fields["sr"] {
        case "bs": self.snapshotTime = query.last { $0.name == "snapshot" }?.value
        case "bv": self.snapshotTime = query.last { $0.name == "versionid" }?.value
        default: break
        }
        self.signature = signature
    }

    /// The string to sign for this SAS over `scope` in `accountName`. A SAS carrying user
    /// delegation fields (`isUserDelegation`) gets the user delegation layout.
    public func stringToSign(scope: Scope, accountName: String) -> String {
        let hasEncryptionScope = self.version >= "2020-12-06"
        func line(_ value: String?) -> String { (value ?? "") + "\n" }
        switch scope {
        case .account:
            var out =
                accountName + "\n" + line(self.permissions) + line(self.services) + line(self.resourceTypes)
                + line(self.start) + line(self.expiry) + line(self.ipRange) + line(self.protocols) + line(self.version)
            if hasEncryptionScope { out += line(self.encryptionScope) }
            return out
        case .queue(let queue):
            var out =
                line(self.permissions) + line(self.start) + line(self.expiry) + line("/queue/\(accountName)/\(queue)")
            if self.isUserDelegation {
                out +=
                    self.userDelegationKeyLines + line(self.signedDelegatedUserTenantID)
                    + line(self.delegatedUserObjectID)
            } else {
                out += line(self.identifier)
            }
            out += line(self.ipRange) + line(self.protocols) + line(self.version)
            out.removeLast()
            return out
        case .blob(let container, let blob):
            let path = blob.map { "/blob/\(accountName)/\(container)/\($0)" } ?? "/blob/\(accountName)/\(container)"
            var out = line(self.permissions) + line(self.start) + line(self.expiry) + line(path)
            if self.isUserDelegation {
                out += self.userDelegationKeyLines
                if self.version >= "2020-02-10" {
                    out += line(self.authorizedObjectID) + line(self.unauthorizedObjectID) + line(self.correlationID)
                }
                if self.version >= "2025-07-05" {
                    out += line(self.signedDelegatedUserTenantID) + line(self.delegatedUserObjectID)
                }
            } else {
                out += line(self.identifier)
            }
            out += line(self.ipRange) + line(self.protocols) + line(self.version)
            if self.version >= "2018-11-09" {
                out += line(self.resource) + line(self.snapshotTime)
            }
            if hasEncryptionScope { out += line(self.encryptionScope) }
            if self.isUserDelegation, self.version >= Self.signedRequestLinesVersion {
                out += line(nil) + line(nil)  // srh, srq: signed request headers and query parameters, unsupported
            }
            out +=
                line(self.cacheControl) + line(self.contentDisposition) + line(self.contentEncoding)
                + line(self.contentLanguage) + line(self.contentType)
            out.removeLast()
            return out
        }
    }

    /// The first version whose user delegation string to sign has the `srh` and `srq` lines. The
    /// Python SDK (which always signs with its newest version, 2026-10-06) writes them; the newest
    /// layout in Azurite (2025-07-05) does not. The version in between is an assumption.
    static let signedRequestLinesVersion = "2026-04-06"

    /// `skoid` to `skv`, one line each.
    private var userDelegationKeyLines: String {
        [
            self.signedObjectID, self.signedTenantID, self.signedKeyStart, self.signedKeyExpiry,
            self.signedKeyService, self.signedKeyVersion,
        ].map { ($0 ?? "") + "\n" }.joined()
    }

    /// This SAS signed with `key` over `scope`.
    public func signed(scope: Scope, key: StorageAccountKey) -> SharedAccessSignature {
        var copy = self
        copy.signature = key.signature(for: self.stringToSign(scope: scope, accountName: key.accountName))
        return copy
    }

    /// This SAS as a user delegation SAS: the key's `sk*` fields copied in, then signed with the
    /// key over `scope` in the key's account.
    ///
    /// - Precondition: `scope` is a blob, directory, container or queue; an account SAS cannot be
    ///   signed with a user delegation key.
    public func signed(scope: Scope, userDelegationKey key: UserDelegationKey) -> SharedAccessSignature {
        precondition(scope != .account, "an account SAS cannot be signed with a user delegation key")
        var copy = self
        copy.signedObjectID = key.signedObjectID
        copy.signedTenantID = key.signedTenantID
        copy.signedKeyStart = key.signedStart
        copy.signedKeyExpiry = key.signedExpiry
        copy.signedKeyService = key.signedService
        copy.signedKeyVersion = key.signedVersion
        copy.signedDelegatedUserTenantID = key.signedDelegatedUserTenantID
        copy.signature = key.signature(for: copy.stringToSign(scope: scope, accountName: key.accountName))
        return copy
    }

    /// The query items of this SAS, in the order the Python SDK writes them; empty fields are left out.
    public var queryItems: [(name: String, value: String)] {
        let ordered: [(String, String?)] = [
            ("st", self.start), ("se", self.expiry), ("sp", self.permissions), ("sip", self.ipRange),
            ("spr", self.protocols), ("sv", self.version), ("ss", self.services), ("srt", self.resourceTypes),
            ("si", self.identifier), ("sduoid", self.delegatedUserObjectID), ("sr", self.resource),
            ("rscc", self.cacheControl), ("rscd", self.contentDisposition), ("rsce", self.contentEncoding),
            ("rscl", self.contentLanguage), ("rsct", self.contentType), ("ses", self.encryptionScope),
            ("sdd", self.directoryDepth.map(String.init)), ("saoid", self.authorizedObjectID),
            ("suoid", self.unauthorizedObjectID), ("scid", self.correlationID), ("skoid", self.signedObjectID),
            ("sktid", self.signedTenantID), ("skt", self.signedKeyStart), ("ske", self.signedKeyExpiry),
            ("sks", self.signedKeyService), ("skv", self.signedKeyVersion),
            ("skdutid", self.signedDelegatedUserTenantID), ("sig", self.signature),
        ]
        return ordered.compactMap { name, value in value.flatMap { $0.isEmpty ? nil : (name, $0) } }
    }
}
