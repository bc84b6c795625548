import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How claims are kept exclusive with nothing but atomic create and rename:
///
/// - A free version is claimed by creating `claims/<digest>.claim` with `O_EXCL`: of any number of
///   contenders, on any number of hosts, exactly one create succeeds.
/// - An existing claim file is only changed (renewed), removed (released) or taken over (expired)
///   by whoever holds `claims/<digest>.lock`, itself created with `O_EXCL` and held for a few
///   milliseconds. Under that lock the claim is read again, so a takeover can never remove a claim
///   that was renewed or replaced since it was judged stale.
/// - An expired claim is renamed to a unique tombstone (`<digest>.claim.<token>.stale`, kept for a
///   while for diagnosis), and the exclusive create is tried again.
/// - A lock left by a crashed process is broken after ``staleLockAge``; a claim file left empty by
///   a crash between its create and its write is treated as held for ``unreadableClaimGrace``.
extension CheckpointStore {
    /// How long a claim lock may exist before it is assumed left behind by a crash.
    static var staleLockAge: Double { 30 }
    /// How long an empty or unreadable claim file counts as held (it may be being written).
    static var unreadableClaimGrace: Double { 30 }
    /// How long to wait for a busy claim lock before giving up with ``CheckpointError/isBusy``.
    static var lockWait: Duration { .seconds(2) }

    /// Claims `key` for this replica until `ttl` from now, unless someone else holds a claim that
    /// has not expired. An expired claim (its owner crashed or stalled) is taken over.
    public func claim(_ key: CheckpointKey, ttl: Duration) throws(CheckpointError) -> ClaimOutcome {
        let digest = key.digest
        let path = self.layout.claimPath(digest)
        var lastSeen: (owner: String, expiresAt: Date)?
        for _ in 0..<8 {
            let now = self.clock()
            let file = ClaimFile(
                owner: self.replicaID, token: UUID().uuidString.lowercased(), acquiredAt: now,
                expiresAt: now.addingTimeInterval(ttl.seconds), pid: getpid(), host: Self.hostName,
                account: key.account, container: key.container, blobName: key.blobName, eTag: key.eTag
            )
            if try FileSystem.createExclusively(path, CheckpointJSON.encode(file, path: path)) {
                return .acquired(Claim(key: key, owner: file.owner, token: file.token, acquiredAt: now))
            }
            let seen = try self.readClaim(path)
            switch seen {
            case .missing:
                continue  // released meanwhile: try the create again
            case .held(let holder) where holder.expiresAt > now:
                return .heldByOther(owner: holder.owner, expiresAt: holder.expiresAt)
            case .unreadable(let modified) where modified + Self.unreadableClaimGrace > Date().timeIntervalSince1970:
                return .heldByOther(owner: "unknown", expiresAt: Date(timeIntervalSince1970: modified + Self.unreadableClaimGrace))
            case .held(let holder):
                lastSeen = (holder.owner, holder.expiresAt)
            case .unreadable(let modified):
                lastSeen = ("unknown", Date(timeIntervalSince1970: modified + Self.unreadableClaimGrace))
            }
            // The claim looks stale: take it over under the lock, after reading it again.
            let removed: Bool
            do {
                removed = try self.withClaimLock(digest) { () throws(CheckpointError) -> Bool in
                    switch try self.readClaim(path) {
                    case .missing:
                        return true
                    case .held(let holder):
                        guard holder.expiresAt <= self.clock() else {
                            lastSeen = (holder.owner, holder.expiresAt)
                            return false
                        }
                        return try self.bury(path, digest: digest, token: holder.token)
                    case .unreadable(let modified):
                        guard modified + Self.unreadableClaimGrace <= Date().timeIntervalSince1970 else { return false }
                        return try self.bury(path, digest: digest, token: "unreadable-" + UUID().uuidString.lowercased())
                    }
                }
            } catch where error.isBusy {
                removed = false  // another replica is renewing or taking over this very claim
            }
            if !removed, let lastSeen { return .heldByOther(owner: lastSeen.owner, expiresAt: lastSeen.expiresAt) }
        }
        let holder = lastSeen ?? ("unknown", self.clock())
        return .heldByOther(owner: holder.owner, expiresAt: holder.expiresAt)
    }

    /// Moves the claim's expiry to `ttl` from now. Returns `false` when the claim is no longer this
    /// one (it expired and was taken over, or was released): stop working on the blob version.
    /// An expired claim nobody took over yet is still ours and is renewed. Throws
    /// ``CheckpointError/isBusy`` when the lock stayed taken; try again shortly.
    public func renew(_ claim: Claim, ttl: Duration) throws(CheckpointError) -> Bool {
        let digest = claim.key.digest
        let path = self.layout.claimPath(digest)
        return try self.withClaimLock(digest) { () throws(CheckpointError) -> Bool in
            guard case .held(var file) = try self.readClaim(path), file.token == claim.token else { return false }
            file.expiresAt = self.clock().addingTimeInterval(ttl.seconds)
            try self.writeAtomically(CheckpointJSON.encode(file, path: path), to: path, name: "\(digest).claim")
            return true
        }
    }

    /// Gives the claim up so another worker may take the blob version at once. Returns `false`
    /// when it was no longer this claim (nothing is removed then).
    @discardableResult
    public func release(_ claim: Claim) throws(CheckpointError) -> Bool {
        let digest = claim.key.digest
        let path = self.layout.claimPath(digest)
        return try self.withClaimLock(digest) { () throws(CheckpointError) -> Bool in
            guard case .held(let file) = try self.readClaim(path), file.token == claim.token else { return false }
            return try FileSystem.remove(path)
        }
    }

    /// Whether `claim` is still the one on disk (it may have expired without being taken over).
    public func isHeld(_ claim: Claim) throws(CheckpointError) -> Bool {
        guard case .held(let file) = try self.readClaim(self.layout.claimPath(claim.key.digest)) else { return false }
        return file.token == claim.token
    }

    // MARK: Internals

    enum ClaimState {
        case missing
        case held(ClaimFile)
        /// Empty or damaged (a crash between create and write); the time is its modification time.
        case unreadable(Double)
    }

    func readClaim(_ path: String) throws(CheckpointError) -> ClaimState {
        guard let snapshot = try FileSystem.readFile(path) else { return .missing }
        guard let file = try? CheckpointJSON.decode(ClaimFile.self, from: snapshot.bytes) else {
            return .unreadable(snapshot.modified)
        }
        return .held(file)
    }

    /// Renames a stale claim to its tombstone; `false` when it had already gone.
    private func bury(_ path: String, digest: String, token: String) throws(CheckpointError) -> Bool {
        _ = try FileSystem.move(path, to: "\(self.layout.claims)/\(digest).claim.\(token).stale")
        return true
    }

    /// Runs `body` holding the claim lock of `digest`, waiting up to ``lockWait`` for it and
    /// breaking a lock older than ``staleLockAge``.
    func withClaimLock<Result>(
        _ digest: String,
        _ body: () throws(CheckpointError) -> Result
    ) throws(CheckpointError) -> Result {
        let path = self.layout.lockPath(digest)
        let lock = ClaimLockFile(
            owner: self.replicaID, nonce: UUID().uuidString.lowercased(), pid: getpid(), host: Self.hostName,
            takenAt: Date()
        )
        let bytes = try CheckpointJSON.encode(lock, path: path)
        let deadline = ContinuousClock.now.advanced(by: Self.lockWait)
        var pause = 1_000  // microseconds
        while try !FileSystem.createExclusively(path, bytes) {
            if let existing = try FileSystem.readFile(path),
                existing.modified + Self.staleLockAge < Date().timeIntervalSince1970
            {
                try self.breakLock(path, digest: digest, judged: existing)
                continue
            }
            guard ContinuousClock.now < deadline else { throw .busy(path: path) }
            usleep(UInt32(pause))
            pause = min(pause * 2, 50_000)
        }
        defer {
            // Remove the lock only while it is still ours (not broken and replaced after a stall).
            if let current = try? FileSystem.readFile(path), current.bytes == bytes { _ = try? FileSystem.remove(path) }
        }
        return try body()
    }

    /// Moves a lock left by a crashed process out of the way. Should another breaker have replaced
    /// it with a fresh lock in the meantime, that fresh lock is put back.
    private func breakLock(_ path: String, digest: String, judged stale: FileSnapshot) throws(CheckpointError) {
        let tombstone = "\(self.layout.claims)/\(digest).lock.\(UUID().uuidString.lowercased()).stale"
        guard try FileSystem.move(path, to: tombstone) else { return }
        guard let moved = try FileSystem.readFile(tombstone) else { return }
        if moved.bytes != stale.bytes || moved.modified != stale.modified {
            if try FileSystem.createExclusively(path, moved.bytes) { try FileSystem.remove(tombstone) }
        }
    }

    static let hostName: String = ProcessInfo.processInfo.hostName
}
