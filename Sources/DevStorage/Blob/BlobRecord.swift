import StorageCore
import Synchronization

/// The standard HTTP properties stored with a blob.
struct BlobHTTPProperties: Codable, Sendable, Hashable {
    var contentType: String?
    var contentEncoding: String?
    var contentLanguage: String?
    var contentDisposition: String?
    var cacheControl: String?
    /// Base64 MD5 of the whole content, when known.
    var contentMD5: String?
}

/// A block of a block blob: the id the client gave and the extent file holding its bytes.
struct BlockReference: Codable, Sendable, Hashable {
    /// The base64 block id as sent; empty for the single block of a Put Blob.
    var id: String
    var size: Int64
    /// The extent file's name inside the account's extent folder.
    var extent: String
}

/// Everything known about one blob name in a container: its committed content (if any) and
/// its staged, uncommitted blocks.
struct BlobRecord: Codable, Sendable {
    var name: String
    var isCommitted: Bool
    var created: StorageDate
    var lastModified: StorageDate
    /// Unquoted, as in listings: `0x8DCB21A4F7E1C2B`.
    var etag: String
    var properties: BlobHTTPProperties
    var metadata: [String: String]
    var blocks: [BlockReference]
    var uncommitted: [BlockReference]
    /// The copy that produced this blob, if any.
    var copy: CopyState?
    /// The tier set explicitly (upload header, Set Blob Tier, Copy Blob); nil means the
    /// account's default, Hot, reported as inferred.
    var tier: AccessTier?
    /// When `tier` was last set, reported as `x-ms-access-tier-change-time`.
    var tierChangeTime: StorageDate?

    /// The tier Azure reports: the explicit one, or the inferred default.
    var effectiveTier: AccessTier { self.tier ?? .hot }
    /// Archive blobs are offline: their content cannot be read or changed until rehydrated.
    var isArchived: Bool { self.tier == .archive }

    var size: Int64 { self.blocks.reduce(0) { $0 + $1.size } }
    var quotedETag: String { "\"" + self.etag + "\"" }

    /// Every extent this record references.
    var extents: [String] { self.blocks.map(\.extent) + self.uncommitted.map(\.extent) }

    struct CopyState: Codable, Sendable {
        var id: String
        var source: String
        var completed: StorageDate
        var bytes: Int64
    }
}

/// A container's own record.
struct ContainerRecord: Codable, Sendable {
    var name: String
    var created: StorageDate
    var lastModified: StorageDate
    var etag: String
    var metadata: [String: String]
    /// nil (private), `blob` or `container`.
    var publicAccess: String?
}

/// ETags in Azure's form: `0x` and 15 hex digits, unique and increasing within a process.
enum ETagGenerator {
    private static let counter = AtomicCounter()

    static func next() -> String {
        let now = StorageDate.now()
        // 100 ns ticks since 1601, as Azure's own ETags count.
        let ticks = UInt64(now.seconds + 11_644_473_600) * 10_000_000 + UInt64(now.ticks)
        let value = max(ticks, Self.counter.advance(past: ticks))
        return "0x" + String(value, radix: 16, uppercase: true)
    }
}

/// Returns strictly increasing values, at least the one given.
final class AtomicCounter: Sendable {
    private let last = Mutex<UInt64>(0)
    func advance(past candidate: UInt64) -> UInt64 {
        self.last.withLock { last in
            last = max(last + 1, candidate)
            return last
        }
    }
}
