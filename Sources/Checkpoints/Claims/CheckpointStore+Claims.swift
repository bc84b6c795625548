import Foundation
import StorageCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How claims are kept exclusive with nothing but exclusive create and rename:
///
/// - A version nobody started is claimed by creating `claims/<ab>/<digest>.claim` with `O_EXCL`:
///   of any number of contenders, on any number of hosts, exactly one create succeeds. The claim
///   file carries the work's progress (attempts, step reached, last error).
/// - The claim file is never removed while its version matters: a finished version keeps it beside
///   its record in `records/<ab>/`, a failed attempt leaves it expired (released) with its
///   progress. So a successful create means a version never started, and a failed one is followed
///   by one look at the record: there means a duplicate.
/// - An existing claim file is only changed (renewed, released, taken over when expired) by
///   whoever holds `claims/<ab>/<digest>.lock`, itself created with `O_EXCL` and held for a few
///   milliseconds. Under that lock the claim is read again and replaced atomically (rename over
///   it), so the name is never free and a takeover never replaces a claim renewed meanwhile.
/// - A lock left by a crashed process is broken after ``staleLockAge``; a claim file left empty by
///   a crash between its create and its write is treated as held for ``unreadableClaimGrace``.
extension CheckpointStore {
    /// How long a claim lock may exist before it is assumed left behind by a crash.
    static var staleLockAge: Double { 30 }
    /// How long an empty or unreadable claim file counts as held (it may be being written).
    static var unreadableClaimGrace: Double { 30 }
    /// How long to wait for a busy claim lock before giving up with ``CheckpointError/isBusy``.
    static var lockWait: Duration { .seconds(2) }

    /// Claims `key` for this replica until `ttl` from now and counts an attempt, unless the version
    /// is finished or someone else holds an unexpired claim. An expired claim (its owner crashed,
    /// stalled or released it after a failure) is taken over with its progress.
    ///
    /// A version seen for the first time costs one exclusive create and one write; a duplicate of
    /// a finished version one failed create and one `stat`.
    public func claim(
        _ key: CheckpointKey,
        ttl: Duration,
        eventID: String? = nil,
        messageID: String? = nil
    ) throws(CheckpointError) -> ClaimOutcome {
        let digest = key.digest
        let path = self.layout.claimPath(digest)
        let now = self.clock()
        let fresh = CheckpointRecord(
            key: key,
            eventID: eventID,
            messageID: messageID,
            replicaID: self.replicaID,
            at: now
        )
        let file = self.claimFile(for: fresh, eventID: eventID, messageID: messageID, ttl: ttl, now: now)
        if try self.createInFanOut(path, CheckpointJSON.encode(file, path: path)) {
            self.held.add(digest, file, ttl: ttl.fractionalSeconds)
            return .acquired(Claim(file, key: key))
        }
        if try FileSystem.exists(self.layout.recordPath(digest)) { return .finished }
        return try self.takeOver(key, ttl: ttl, eventID: eventID, messageID: messageID)
    }

    /// Moves the claim's expiry to `ttl` from now. Returns `false` when the claim is no longer this
    /// one (it expired and was taken over): stop working on the blob version. An expired claim
    /// nobody took over yet is still ours and is renewed. Throws ``CheckpointError/isBusy`` when
    /// the lock stayed taken; try again shortly.
    public func renew(_ claim: Claim, ttl: Duration) throws(CheckpointError) -> Bool {
        try self.updateClaim(claim) { file in
            file.expiresAt = self.clock().addingTimeInterval(ttl.fractionalSeconds)
            return true
        }
    }

    /// Notes progress in the claim (a step reached, how long it took) while it is held. Returns
    /// `false` when the claim is no longer this one. Not flushed: losing a note to a host crash
    /// costs a repeated step at worst.
    ///
    /// While at least half the claim's TTL is left, nobody can take it over (that needs it
    /// expired, so a clock more than half a TTL ahead), so the claim this process last wrote is
    /// rewritten with the progress directly: a temporary file and a rename, instead of the lock,
    /// a read and the rename (about 16 file operations, each a round trip on a share, down to 4).
    /// Closer to expiry, or for a claim this process did not acquire, it goes through the lock.
    @discardableResult
    public func note(_ claim: Claim, _ change: (inout CheckpointRecord) -> Void) throws(CheckpointError) -> Bool {
        let digest = claim.key.digest
        if let entry = self.held.entry(digest, token: claim.token) {
            entry.lock.lock()
            defer { entry.lock.unlock() }
            let now = self.clock()
            if entry.file.released != true, entry.file.expiresAt.timeIntervalSince(now) >= entry.ttl / 2 {
                var file = entry.file
                change(&file.record)
                file.record.updatedAt = now.roundedToMilliseconds
                let path = self.layout.claimPath(digest)
                try self.writeAtomically(
                    CheckpointJSON.encode(file, path: path),
                    to: path,
                    name: "\(digest).claim",
                    durable: false
                )
                entry.file = file
                return true
            }
        }
        return try self.updateClaim(claim) { file in
            change(&file.record)
            file.record.updatedAt = self.clock().roundedToMilliseconds
            return true
        }
    }

    /// Gives the claim up so another worker may take the blob version at once, keeping its
    /// progress (with `lastError` when given). `progress` replaces the progress in the file when
    /// given: the holder's own account of it, which a note still on its way may not have reached
    /// the file with yet. Returns `false` when it was no longer this claim.
    @discardableResult
    public func release(
        _ claim: Claim,
        lastError: String? = nil,
        progress: CheckpointRecord? = nil
    ) throws(CheckpointError) -> Bool {
        defer { self.held.remove(claim.key.digest, token: claim.token) }
        return try self.updateClaim(claim) { file in
            let now = self.clock()
            file.expiresAt = min(file.expiresAt, now)
            file.released = true
            if let progress, progress.key == file.record.key { file.record = progress }
            if let lastError { file.record.recordFailure(lastError, at: now) }
            return true
        }
    }

    /// Whether `claim` is still the one on disk (it may have expired without being taken over).
    public func isHeld(_ claim: Claim) throws(CheckpointError) -> Bool {
        guard case .held(let file) = try self.readClaim(self.layout.claimPath(claim.key.digest)) else { return false }
        return file.token == claim.token && file.released != true
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

    /// A claim for this replica on `record`, counting a new attempt.
    func claimFile(
        for record: CheckpointRecord,
        eventID: String?,
        messageID: String?,
        ttl: Duration,
        now: Date
    ) -> ClaimFile {
        var record = record
        record.beginAttempt(eventID: eventID, messageID: messageID, replicaID: self.replicaID, at: now)
        return ClaimFile(
            owner: self.replicaID,
            token: RandomToken.make(),
            acquiredAt: now,
            expiresAt: now.addingTimeInterval(ttl.fractionalSeconds),
            pid: getpid(),
            host: Self.hostName,
            record: record
        )
    }

    /// Creates `path` exclusively, making its fan-out folder on first use.
    func createInFanOut(_ path: String, _ bytes: [UInt8]) throws(CheckpointError) -> Bool {
        do {
            return try FileSystem.createExclusively(path, bytes)
        } catch  where error.errno == ENOENT {
            try FileSystem.makeDirectory(String(path[..<path.lastIndex(of: "/")!]))
            return try FileSystem.createExclusively(path, bytes)
        }
    }

    /// Takes over an expired or released claim under its lock, carrying its progress over.
    private func takeOver(
        _ key: CheckpointKey,
        ttl: Duration,
        eventID: String?,
        messageID: String?
    ) throws(CheckpointError) -> ClaimOutcome {
        let digest = key.digest
        let path = self.layout.claimPath(digest)
        if let holder = self.unexpiredHolder(try self.readClaim(path)) { return holder }
        do {
            return try self.withClaimLock(digest) { () throws(CheckpointError) -> ClaimOutcome in
                let seen = try self.readClaim(path)
                if let holder = self.unexpiredHolder(seen) { return holder }
                // The expired holder may have finished just before its claim ran out.
                if try FileSystem.exists(self.layout.recordPath(digest)) { return .finished }
                let now = self.clock()
                var progress = CheckpointRecord(
                    key: key,
                    eventID: eventID,
                    messageID: messageID,
                    replicaID: self.replicaID,
                    at: now
                )
                if case .held(let previous) = seen, previous.record.key == key { progress = previous.record }
                let file = self.claimFile(for: progress, eventID: eventID, messageID: messageID, ttl: ttl, now: now)
                try self.writeAtomically(
                    CheckpointJSON.encode(file, path: path),
                    to: path,
                    name: "\(digest).claim",
                    durable: false
                )
                self.held.add(digest, file, ttl: ttl.fractionalSeconds)
                return .acquired(Claim(file, key: key))
            }
        } catch  where error.isBusy {
            // Another replica is renewing or taking over this very claim.
            return .heldByOther(
                owner: "unknown",
                expiresAt: self.clock().addingTimeInterval(Self.lockWait.fractionalSeconds)
            )
        }
    }

    /// `.heldByOther` when `state` is a claim that has not expired (or may still be being written).
    private func unexpiredHolder(_ state: ClaimState) -> ClaimOutcome? {
        switch state {
        case .missing:
            return nil
        case .held(let holder):
            return holder.expiresAt > self.clock() && holder.released != true
                ? .heldByOther(owner: holder.owner, expiresAt: holder.expiresAt) : nil
        case .unreadable(let modified):
            let until = modified + Self.unreadableClaimGrace
            return until > Date().timeIntervalSince1970
                ? .heldByOther(owner: "unknown", expiresAt: Date(timeIntervalSince1970: until)) : nil
        }
    }

    /// Rewrites the claim file under its lock when it is still `claim` and not given up; `false`
    /// otherwise.
    ///
    /// The claim's entry in ``held`` (when this process acquired it) is locked meanwhile and
    /// updated, or dropped when the claim turns out to be another's.
    private func updateClaim(_ claim: Claim, _ change: (inout ClaimFile) -> Bool) throws(CheckpointError) -> Bool {
        let digest = claim.key.digest
        let path = self.layout.claimPath(digest)
        let entry = self.held.entry(digest, token: claim.token)
        entry?.lock.lock()
        defer { entry?.lock.unlock() }
        let updated = try self.withClaimLock(digest) { () throws(CheckpointError) -> ClaimFile? in
            guard case .held(var file) = try self.readClaim(path), file.token == claim.token, file.released != true
            else { return nil }
            guard change(&file) else { return nil }
            try self.writeAtomically(
                CheckpointJSON.encode(file, path: path),
                to: path,
                name: "\(digest).claim",
                durable: false
            )
            return file
        }
        guard let updated else {
            self.held.remove(digest, token: claim.token)
            return false
        }
        entry?.file = updated
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
            owner: self.replicaID,
            nonce: RandomToken.make(),
            pid: getpid(),
            host: Self.hostName,
            takenAt: Date()
        )
        let bytes = try CheckpointJSON.encode(lock, path: path)
        let deadline = ContinuousClock.now.advanced(by: Self.lockWait)
        var pause = 1_000  // microseconds
        while try !self.createInFanOut(path, bytes) {
            if let existing = try FileSystem.readFile(path),
                existing.modified + Self.staleLockAge < Date().timeIntervalSince1970
            {
                try self.breakLock(path, judged: existing)
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
    private func breakLock(_ path: String, judged stale: FileSnapshot) throws(CheckpointError) {
        let tombstone = "\(path).\(RandomToken.make()).stale"
        guard try FileSystem.move(path, to: tombstone) else { return }
        guard let moved = try FileSystem.readFile(tombstone) else { return }
        if moved.bytes != stale.bytes || moved.modified != stale.modified {
            if try FileSystem.createExclusively(path, moved.bytes) { try FileSystem.remove(tombstone) }
        }
    }

    static let hostName: String = ProcessInfo.processInfo.hostName
}

extension Claim {
    init(_ file: ClaimFile, key: CheckpointKey) {
        self.init(key: key, owner: file.owner, token: file.token, acquiredAt: file.acquiredAt, record: file.record)
    }
}
