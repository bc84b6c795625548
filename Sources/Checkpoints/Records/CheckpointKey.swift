import StorageCore

/// One version of one blob: the unit of work that checkpoints, claims and dead letters are kept
/// for. A new upload of the same name has a new eTag and so is new work.
public struct CheckpointKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The storage account name, lowercased.
    public let account: String
    /// The container name, lowercased.
    public let container: String
    /// The blob's name, case-sensitive, as it appears in the blob URL path (decoded).
    public let blobName: String
    /// The blob's eTag in its quoted HTTP form, e.g. `"0x8DCF0A1B2C3D4E5"`.
    public let eTag: String

    /// Creates a key. The eTag may be given quoted (as in an `ETag` header) or bare (as in an
    /// Event Grid event); both name the same version.
    public init(account: String, container: String, blobName: String, eTag: String) {
        self.account = account.lowercased()
        self.container = container.lowercased()
        self.blobName = blobName
        self.eTag = EntityTag.quotedIfBare(eTag)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            account: try container.decode(String.self, forKey: .account),
            container: try container.decode(String.self, forKey: .container),
            blobName: try container.decode(String.self, forKey: .blobName),
            eTag: try container.decode(String.self, forKey: .eTag)
        )
    }

    /// The blob and version in the form people read: `account/container/name @ "etag"`.
    public var description: String { "\(self.account)/\(self.container)/\(self.blobName) @ \(self.eTag)" }

    /// The lowercase hex SHA-256 of the key's canonical form: a safe, fixed-length file name that
    /// any blob name, however long or unusual, maps to.
    public var digest: String {
        var canonical = "blobflow-checkpoint-key-v1\n"
        for field in [self.account, self.container, self.blobName, self.eTag] {
            canonical += "\(field.utf8.count):\(field)\n"
        }
        return SHA256Hex.of(canonical)
    }
}
