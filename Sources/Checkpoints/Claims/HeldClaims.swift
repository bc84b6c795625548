import Foundation

/// The claim files this process holds, as it last wrote them, so that noting progress in a claim
/// that has long to run needs neither its lock nor a read of it (see
/// ``CheckpointStore/note(_:_:)``). Each entry has a lock of its own that serializes this
/// process's writes of that claim (a step noted while the lease keeper renews it).
final class HeldClaims: @unchecked Sendable {
    final class Entry: @unchecked Sendable {
        /// Held while this process reads or writes the claim file.
        let lock = NSLock()
        /// The acquisition's token (a new acquisition makes a new entry).
        let token: String
        /// The TTL it was acquired with, in seconds.
        let ttl: Double
        /// The claim file as this process last wrote it; guarded by `lock`.
        var file: ClaimFile

        init(file: ClaimFile, ttl: Double) {
            self.token = file.token
            self.ttl = ttl
            self.file = file
        }
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    func add(_ digest: String, _ file: ClaimFile, ttl: Double) {
        self.lock.withLock { self.entries[digest] = Entry(file: file, ttl: ttl) }
    }

    /// The entry of the claim with `token`, if this process holds it.
    func entry(_ digest: String, token: String) -> Entry? {
        self.lock.withLock {
            guard let entry = self.entries[digest], entry.token == token else { return nil }
            return entry
        }
    }

    func remove(_ digest: String, token: String) {
        self.lock.withLock {
            guard self.entries[digest]?.token == token else { return }
            self.entries[digest] = nil
        }
    }
}
