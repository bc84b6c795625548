import Foundation

extension CheckpointStore {
    /// The record for `key`: the final record of a finished version, else the progress kept in
    /// its claim, or `nil` when the version was never seen.
    ///
    /// A damaged record (truncated, not JSON, or about another key) never stops the event: it is
    /// moved to `corrupt/`, `onCorruption` is told (log it as a warning), and the claim's progress
    /// or `nil` is returned so the work starts afresh. A record from a newer blobflow is left in
    /// place and throws (``CheckpointError/isNewerSchema``).
    public func load(
        _ key: CheckpointKey,
        onCorruption: (CheckpointCorruption) -> Void = { _ in }
    ) throws(CheckpointError) -> CheckpointRecord? {
        if let record = try self.loadFinal(key, onCorruption: onCorruption) { return record }
        guard case .held(let file) = try self.readClaim(self.layout.claimPath(key.digest)), file.record.key == key
        else { return nil }
        return file.record
    }

    /// Writes `record`. A final one (completed, dead-lettered) goes to `records/`, atomically
    /// (readers, and this folder after a crash of the process, see the previous version or this
    /// one), beside a claim that keeps the version from being started again. Any other one
    /// becomes the progress in the version's claim, which is left expired so the next delivery
    /// takes it over, and a final record is removed (a reset for replay). Throws
    /// ``CheckpointError`` with ``CheckpointError/isDiskFull`` when the share is full.
    ///
    /// - Parameter durable: Flush a final record to stable storage before returning.
    public func save(_ record: CheckpointRecord, durable: Bool = true) throws(CheckpointError) {
        let digest = record.key.digest
        if record.step.isFinal {
            try self.ensureClaim(for: record)
            let path = self.layout.recordPath(digest)
            try self.writeAtomically(
                try CheckpointJSON.encode(record, path: path),
                to: path,
                name: "\(digest).json",
                durable: durable
            )
            return
        }
        let path = self.layout.claimPath(digest)
        try self.withClaimLock(digest) { () throws(CheckpointError) in
            var file = self.claimFile(for: record, eventID: nil, messageID: nil, ttl: .zero, now: self.clock())
            file.record = record
            if case .held(let existing) = try self.readClaim(path) {
                file.owner = existing.owner
                file.token = existing.token
                file.expiresAt = min(existing.expiresAt, file.expiresAt)
            }
            try self.writeAtomically(
                CheckpointJSON.encode(file, path: path),
                to: path,
                name: "\(digest).claim",
                durable: durable
            )
        }
        try FileSystem.remove(self.layout.recordPath(digest))
    }

    /// Writes the final record of the version `claim` was held for, after its work completed or
    /// was dead-lettered: one exclusive create of `records/ab/<digest>.json`. Not flushed: call
    /// ``flush()`` before deleting the message. The claim file stays, expired by then or soon.
    /// A record already there (a stalled holder finished too) is kept.
    public func finish(_ claim: Claim, record: CheckpointRecord) throws(CheckpointError) {
        self.held.remove(claim.key.digest, token: claim.token)
        let path = self.layout.recordPath(claim.key.digest)
        _ = try self.createInFanOut(path, CheckpointJSON.encode(record, path: path))
    }

    /// Removes the record and the claim of `key`; returns whether there was either.
    @discardableResult
    public func delete(_ key: CheckpointKey) throws(CheckpointError) -> Bool {
        let record = try FileSystem.remove(self.layout.recordPath(key.digest))
        let claim = try FileSystem.remove(self.layout.claimPath(key.digest))
        return record || claim
    }

    /// Resets the record of a dead-lettered version so that replaying its message does all the
    /// work again (see ``CheckpointRecord/resetForReplay(at:)``). Returns the saved record, or
    /// `nil` when there was none (the replay then starts from scratch anyway).
    @discardableResult
    public func resetForReplay(_ key: CheckpointKey) throws(CheckpointError) -> CheckpointRecord? {
        guard var record = try self.load(key) else { return nil }
        record.resetForReplay(at: self.clock())
        try self.save(record)
        return record
    }

    /// The final record alone, with damaged ones moved aside.
    func loadFinal(
        _ key: CheckpointKey,
        onCorruption: (CheckpointCorruption) -> Void
    ) throws(CheckpointError) -> CheckpointRecord? {
        let digest = key.digest
        let path = self.layout.recordPath(digest)
        guard let file = try FileSystem.readFile(path) else { return nil }
        let record: CheckpointRecord
        do {
            record = try self.decode(CheckpointRecord.self, file.bytes, path: path)
        } catch let problem as CorruptFile {
            onCorruption(try self.moveAside(path, name: "\(digest).json", reason: problem.reason))
            return nil
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw .encoding(path: path, reason: String(describing: error))
        }
        guard record.key == key else {
            onCorruption(try self.moveAside(path, name: "\(digest).json", reason: "holds the record of \(record.key)"))
            return nil
        }
        return record
    }

    /// Makes sure a claim file exists for a final record, so an exclusive create can never start
    /// the version again; an existing claim is left as it is.
    func ensureClaim(for record: CheckpointRecord) throws(CheckpointError) {
        let path = self.layout.claimPath(record.key.digest)
        var file = self.claimFile(for: record, eventID: nil, messageID: nil, ttl: .zero, now: self.clock())
        file.record = record
        _ = try self.createInFanOut(path, CheckpointJSON.encode(file, path: path))
    }

    // MARK: Decoding shared by every kind of file

    /// Decodes a file, telling a damaged one (``CorruptFile``) from one a newer blobflow wrote.
    func decode<Value: Decodable>(_ type: Value.Type, _ bytes: [UInt8], path: String) throws -> Value {
        do {
            return try CheckpointJSON.decode(type, from: bytes)
        } catch {
            if let probe = try? CheckpointJSON.decode(SchemaProbe.self, from: bytes),
                let version = probe.schemaVersion, version > CheckpointRecord.currentSchemaVersion
            {
                throw CheckpointError.newerSchema(path: path, version: version)
            }
            throw CorruptFile(reason: bytes.isEmpty ? "empty file" : Self.describe(error))
        }
    }

    /// Moves a damaged file into `corrupt/` under a unique name and describes what happened.
    func moveAside(_ path: String, name: String, reason: String) throws(CheckpointError) -> CheckpointCorruption {
        let stamp = CheckpointJSON.formatDate(self.clock()).replacingOccurrences(of: ":", with: "-")
        let destination = "\(self.layout.corrupt)/\(name).\(stamp).\(RandomToken.make().prefix(8))"
        let moved = try FileSystem.move(path, to: destination)
        if moved { FileSystem.touch(destination) }  // retention in corrupt/ counts from the move
        return CheckpointCorruption(path: path, movedTo: moved ? destination : nil, reason: reason)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): "not valid JSON: \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, _): "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
        default: String(describing: error)
        }
    }
}

/// A file that could not be decoded and is not from a newer schema.
struct CorruptFile: Error {
    var reason: String
}
