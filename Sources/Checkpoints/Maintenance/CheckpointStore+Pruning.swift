public import Foundation
import StorageCore

extension CheckpointStore {
    /// How old a temporary file, tombstone or long-expired claim must be before pruning removes it.
    static var leftoverAge: Double { 3600 }

    /// Removes what is no longer needed:
    ///
    /// - completed records last updated more than `retention` ago, and dead-lettered ones whose
    ///   dead letter was purged (records with a dead letter waiting are kept for the replay);
    /// - files in `corrupt/` older than `retention`;
    /// - temporary files of crashed writers, claim tombstones and locks older than an hour;
    /// - the claims kept beside removed records, and claims without a record expired for longer
    ///   than `retention` (work abandoned: its message is gone, and its progress with it).
    ///
    /// Choose `retention` longer than a message can be redelivered (the queue's message TTL and
    /// Event Grid's retry window): a duplicate arriving after its record is pruned is worked again.
    @discardableResult
    public func prune(completedOlderThan retention: Duration, now: Date? = nil) throws(CheckpointError) -> PruneReport {
        let now = now ?? self.clock()
        let cutoff = now.addingTimeInterval(-retention.fractionalSeconds)
        let leftoverCutoff = now.timeIntervalSince1970 - Self.leftoverAge
        let deadLetterFolder = self.layout.deadLetters
        var report = PruneReport()

        let tallies = try self.scanRecords(0) {
            (removed: inout Int, path: String, file: FileSnapshot) throws(CheckpointError) in
            guard let record = try? CheckpointJSON.decode(CheckpointRecord.self, from: file.bytes),
                record.updatedAt < cutoff
            else { return }
            switch record.step {
            case .completed:
                break
            case .deadLettered:
                let deadLetter = deadLetterFolder + "/" + record.key.digest + ".json"
                guard try FileSystem.modificationTime(deadLetter) == nil else { return }
            case .received, .downloaded, .processed, .uploaded:
                return
            }
            if try FileSystem.remove(path) { removed += 1 }
            // The claim kept beside the record goes with it (a later duplicate is new work).
            try FileSystem.remove(self.layout.claimPath(record.key.digest))
        }
        report.records = tallies.reduce(0, +)
        report.leftovers += try self.removeTemporaryFiles(olderThan: leftoverCutoff)

        for folder in try self.claimFolders() {
            for name in try FileSystem.list(folder) {
                let path = folder + "/" + name
                if name.hasSuffix(".stale") || name.hasSuffix(".tmp") || name.hasSuffix(".lock")
                    || folder == self.layout.claims
                {
                    // Layout 1 kept its claims directly in `claims/`; they are all leftovers now.
                    if let modified = try FileSystem.modificationTime(path), modified < leftoverCutoff,
                        (try? FileSystem.remove(path)) == true
                    {
                        report.leftovers += 1
                    }
                } else if name.hasSuffix(".claim"),
                    try self.removeLongExpiredClaim(path, name: name, before: cutoff.timeIntervalSince1970)
                {
                    report.claims += 1
                }
            }
        }

        for name in try FileSystem.list(self.layout.corrupt) {
            let path = self.layout.corrupt + "/" + name
            if let modified = try FileSystem.modificationTime(path), modified < cutoff.timeIntervalSince1970,
                try FileSystem.remove(path)
            {
                report.corruptFiles += 1
            }
        }
        return report
    }

    /// Removes temporary files in the record folders and the dead-letter folder.
    private func removeTemporaryFiles(olderThan cutoff: Double) throws(CheckpointError) -> Int {
        var folders = [self.layout.deadLetters]
        for bucket in try FileSystem.list(self.layout.records) where !bucket.hasPrefix(".") {
            folders.append(self.layout.records + "/" + bucket)
        }
        folders.append(self.directory)
        var removed = 0
        for folder in folders {
            for name in try FileSystem.list(folder) where name.hasPrefix(".") && name.hasSuffix(".tmp") {
                let path = folder + "/" + name
                if let modified = try FileSystem.modificationTime(path), modified < cutoff, try FileSystem.remove(path)
                {
                    removed += 1
                }
            }
        }
        return removed
    }

    /// `claims/` itself (layout 1 leftovers) and its fan-out folders.
    func claimFolders() throws(CheckpointError) -> [String] {
        let root = self.layout.claims
        var folders = [root]
        for name in try FileSystem.list(root) where name.count == 2 && !name.hasPrefix(".") {
            folders.append(root + "/" + name)
        }
        return folders
    }

    /// Removes a claim that expired before `cutoff` and has no final record beside it (work
    /// abandoned: its message was dropped), checking again under its lock.
    private func removeLongExpiredClaim(
        _ path: String,
        name: String,
        before cutoff: Double
    ) throws(CheckpointError) -> Bool {
        func isLongExpired(_ state: ClaimState) -> Bool {
            switch state {
            case .missing: false
            case .held(let file): file.expiresAt.timeIntervalSince1970 < cutoff
            case .unreadable(let modified): modified < cutoff
            }
        }
        guard isLongExpired(try self.readClaim(path)) else { return false }
        let digest = String(name.dropLast(".claim".count))
        guard try !FileSystem.exists(self.layout.recordPath(digest)) else { return false }
        do {
            return try self.withClaimLock(digest) { () throws(CheckpointError) -> Bool in
                guard isLongExpired(try self.readClaim(path)) else { return false }
                return try FileSystem.remove(path)
            }
        } catch  where error.isBusy {
            return false
        }
    }
}
