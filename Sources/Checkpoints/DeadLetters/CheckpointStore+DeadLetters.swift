extension CheckpointStore {
    /// Writes (or replaces) the dead-letter record, atomically.
    ///
    /// Write it before marking the checkpoint dead-lettered and before deleting the queue message,
    /// so a crash in between loses nothing.
    public func saveDeadLetter(_ record: DeadLetterRecord) throws(CheckpointError) {
        let stem = record.fileStem
        let path = self.layout.deadLetterPath(stem)
        try self.writeAtomically(CheckpointJSON.encode(record, path: path), to: path, name: "\(stem).json")
    }

    /// The dead-letter record for `key`, if any.
    public func deadLetter(for key: CheckpointKey) throws(CheckpointError) -> DeadLetterRecord? {
        let path = self.layout.deadLetterPath(key.digest)
        guard let file = try FileSystem.readFile(path) else { return nil }
        return try self.decodeDeadLetter(file.bytes, path: path, name: "\(key.digest).json", onCorruption: { _ in })
    }

    /// Every dead-letter record, oldest first. Damaged files are moved to `corrupt/` and reported
    /// to `onCorruption`; files from a newer blobflow are skipped.
    public func deadLetters(
        onCorruption: (CheckpointCorruption) -> Void = { _ in }
    ) throws(CheckpointError) -> [DeadLetterRecord] {
        var records: [DeadLetterRecord] = []
        for name in try FileSystem.list(self.layout.deadLetters) where Self.isDataFile(name) {
            let path = self.layout.deadLetters + "/" + name
            guard let file = try FileSystem.readFile(path) else { continue }
            do {
                if let record = try self.decodeDeadLetter(
                    file.bytes,
                    path: path,
                    name: name,
                    onCorruption: onCorruption
                ) {
                    records.append(record)
                }
            } catch  where error.isNewerSchema {
                continue
            }
        }
        return records.sorted { ($0.deadLetteredAt, $0.fileStem) < ($1.deadLetteredAt, $1.fileStem) }
    }

    /// Removes the dead-letter record for `key` (after a replay or a purge); returns whether there
    /// was one.
    @discardableResult
    public func removeDeadLetter(_ key: CheckpointKey) throws(CheckpointError) -> Bool {
        try FileSystem.remove(self.layout.deadLetterPath(key.digest))
    }

    /// Removes a dead-letter record, including one without a blob key (an undecodable message).
    @discardableResult
    public func removeDeadLetter(_ record: DeadLetterRecord) throws(CheckpointError) -> Bool {
        try FileSystem.remove(self.layout.deadLetterPath(record.fileStem))
    }

    private func decodeDeadLetter(
        _ bytes: [UInt8],
        path: String,
        name: String,
        onCorruption: (CheckpointCorruption) -> Void
    ) throws(CheckpointError) -> DeadLetterRecord? {
        do {
            return try self.decode(DeadLetterRecord.self, bytes, path: path)
        } catch let problem as CorruptFile {
            onCorruption(try self.moveAside(path, name: name, reason: problem.reason))
            return nil
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw .encoding(path: path, reason: String(describing: error))
        }
    }

    /// Whether a folder entry is a data file rather than a temporary file or a tombstone.
    static func isDataFile(_ name: String) -> Bool {
        !name.hasPrefix(".") && name.hasSuffix(".json")
    }
}
