import Foundation

extension CheckpointStore {
    /// The record for `key`, or `nil` when there is none.
    ///
    /// A damaged record (truncated, not JSON, or about another key) never stops the event: it is
    /// moved to `corrupt/`, `onCorruption` is told (log it as a warning), and `nil` is returned so
    /// the work starts afresh. A record from a newer blobflow is left in place and throws
    /// (``CheckpointError/isNewerSchema``).
    public func load(
        _ key: CheckpointKey,
        onCorruption: (CheckpointCorruption) -> Void = { _ in }
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

    /// Writes `record` atomically: readers, and this folder after a crash of the process, see the
    /// previous version or this one, never a mix. Throws ``CheckpointError`` with
    /// ``CheckpointError/isDiskFull`` when the share is full.
    ///
    /// - Parameter durable: Flush the file and its folder to stable storage before returning, so
    ///   the record also survives a crash of the host. Needed before acting on the record outside
    ///   this folder (deleting the queue message of a completed event); progress notes (attempts,
    ///   steps reached) can skip it: losing one to a power cut costs a repeated step at worst.
    public func save(_ record: CheckpointRecord, durable: Bool = true) throws(CheckpointError) {
        let digest = record.key.digest
        let path = self.layout.recordPath(digest)
        let bytes = try CheckpointJSON.encode(record, path: path)
        try self.writeAtomically(bytes, to: path, name: "\(digest).json", durable: durable)
    }

    /// Removes the record for `key`; returns whether there was one.
    @discardableResult
    public func delete(_ key: CheckpointKey) throws(CheckpointError) -> Bool {
        try FileSystem.remove(self.layout.recordPath(key.digest))
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
        let destination = "\(self.layout.corrupt)/\(name).\(stamp).\(UUID().uuidString.prefix(8).lowercased())"
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
