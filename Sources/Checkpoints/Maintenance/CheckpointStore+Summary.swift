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
        let partials = try self.scanRecords(RecordTally()) { (tally: inout RecordTally, _: String, file: FileSnapshot) in
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
        summary.recentFailures = Array(failures.sorted(by: newestFirst).prefix(max(0, limit)))
        let now = self.clock()
        for name in try FileSystem.list(self.layout.claims) where name.hasSuffix(".claim") && !name.hasPrefix(".") {
            switch try self.readClaim(self.layout.claims + "/" + name) {
            case .missing: break
            case .held(let file): if file.expiresAt > now { summary.activeClaims += 1 } else { summary.expiredClaims += 1 }
            case .unreadable: summary.activeClaims += 1
            }
        }
        summary.deadLetters = try FileSystem.list(self.layout.deadLetters).count(where: Self.isDataFile)
        return summary
    }

    /// Calls `visit` for every record file (not temporary files) with the tally of its fan-out
    /// folder; folders are read in parallel. Returns one tally per folder.
    func scanRecords<Tally: Sendable>(
        _ initial: Tally,
        _ visit: @escaping @Sendable (_ tally: inout Tally, _ path: String, _ file: FileSnapshot) throws(CheckpointError) -> Void
    ) throws(CheckpointError) -> [Tally] {
        let root = self.layout.records
        let buckets = try FileSystem.list(root).filter { !$0.hasPrefix(".") }.sorted()
        let results = Mutex<[Tally]>([])
        let failure = Mutex<CheckpointError?>(nil)
        DispatchQueue.concurrentPerform(iterations: buckets.count) { index in
            let folder = root + "/" + buckets[index]
            var tally = initial
            do throws(CheckpointError) {
                for name in try FileSystem.list(folder) where Self.isDataFile(name) {
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

/// What one fan-out folder contributed to a summary.
struct RecordTally: Sendable {
    var counts: [CheckpointStep: Int] = [:]
    var unreadable = 0
    var failures: [CheckpointRecord] = []
}
