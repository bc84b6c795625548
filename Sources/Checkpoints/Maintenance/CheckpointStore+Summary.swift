import Dispatch
import Synchronization

extension CheckpointStore {
    /// Counts records by step and finds the `recentFailures` most recent records with an error,
    /// plus claim and dead-letter counts. Reads every record (in parallel, one fan-out folder per
    /// task); nothing is moved or changed.
    public func summary(recentFailures limit: Int = 10) throws(CheckpointError) -> CheckpointSummary {
        let newestFirst: @Sendable (CheckpointRecord, CheckpointRecord) -> Bool = {
            ($0.updatedAt, $0.key.digest) > ($1.updatedAt, $1.key.digest)
        }
        let partials = try self.scanRecords(RecordTally()) {
            (tally: inout RecordTally, _: String, file: FileSnapshot) in
            guard let record = try? CheckpointJSON.decode(CheckpointRecord.self, from: file.bytes) else {
                tally.unreadable += 1
                return
            }
            tally.counts[record.step, default: 0] += 1
            if record.lastError != nil {
                tally.failures.append(record)
                if tally.failures.count > 2 * max(1, limit) {
                    tally.failures = Array(tally.failures.sorted(by: newestFirst).prefix(limit))
                }
            }
        }
        var summary = CheckpointSummary()
        var failures: [CheckpointRecord] = []
        for tally in partials {
            summary.unreadableRecords += tally.unreadable
            summary.countsByStep.merge(tally.counts, uniquingKeysWith: +)
            failures.append(contentsOf: tally.failures)
        }
        let now = self.clock()
        let claims = try self.scanFanOut(self.layout.claims, suffix: ".claim", ClaimTally()) {
            (tally: inout ClaimTally, path: String, file: FileSnapshot) throws(CheckpointError) in
            guard let claim = try? CheckpointJSON.decode(ClaimFile.self, from: file.bytes) else {
                tally.active += 1  // being written
                return
            }
            // A finished version's claim stays beside its record, which was counted above.
            guard try !FileSystem.exists(self.layout.recordPath(claim.record.key.digest)) else { return }
            if claim.expiresAt > now { tally.active += 1 } else { tally.expired += 1 }
            tally.counts[claim.record.step, default: 0] += 1
            if claim.record.lastError != nil { tally.failures.append(claim.record) }
        }
        for tally in claims {
            summary.activeClaims += tally.active
            summary.expiredClaims += tally.expired
            summary.countsByStep.merge(tally.counts, uniquingKeysWith: +)
            failures.append(contentsOf: tally.failures)
        }
        summary.recentFailures = Array(failures.sorted(by: newestFirst).prefix(max(0, limit)))
        summary.deadLetters = try FileSystem.list(self.layout.deadLetters).count(where: Self.isDataFile)
        return summary
    }

    /// Calls `visit` for every record file (not temporary files) with the tally of its fan-out
    /// folder; folders are read in parallel. Returns one tally per folder.
    func scanRecords<Tally: Sendable>(
        _ initial: Tally,
        _ visit:
            @escaping @Sendable (_ tally: inout Tally, _ path: String, _ file: FileSnapshot) throws(CheckpointError) ->
            Void
    ) throws(CheckpointError) -> [Tally] {
        try self.scanFanOut(self.layout.records, suffix: ".json", initial, visit)
    }

    /// Calls `visit` for every file ending in `suffix` in the fan-out folders under `root`.
    func scanFanOut<Tally: Sendable>(
        _ root: String,
        suffix: String,
        _ initial: Tally,
        _ visit:
            @escaping @Sendable (_ tally: inout Tally, _ path: String, _ file: FileSnapshot) throws(CheckpointError) ->
            Void
    ) throws(CheckpointError) -> [Tally] {
        let buckets = try FileSystem.list(root).filter { !$0.hasPrefix(".") && $0.count == 2 }.sorted()
        let results = Mutex<[Tally]>([])
        let failure = Mutex<CheckpointError?>(nil)
        DispatchQueue.concurrentPerform(iterations: buckets.count) { index in
            let folder = root + "/" + buckets[index]
            var tally = initial
            do throws(CheckpointError) {
                for name in try FileSystem.list(folder) where !name.hasPrefix(".") && name.hasSuffix(suffix) {
                    let path = folder + "/" + name
                    guard let file = try FileSystem.readFile(path) else { continue }
                    try visit(&tally, path, file)
                }
            } catch {
                failure.withLock { if $0 == nil { $0 = error } }
            }
            results.withLock { [tally] in $0.append(tally) }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return results.withLock { $0 }
    }
}

/// What one fan-out folder of claims contributed to a summary.
struct ClaimTally: Sendable {
    var active = 0
    var expired = 0
    var counts: [CheckpointStep: Int] = [:]
    var failures: [CheckpointRecord] = []
}

/// What one fan-out folder contributed to a summary.
struct RecordTally: Sendable {
    var counts: [CheckpointStep: Int] = [:]
    var unreadable = 0
    var failures: [CheckpointRecord] = []
}
