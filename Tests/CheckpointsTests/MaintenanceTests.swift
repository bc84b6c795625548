import Checkpoints
import Foundation
import Testing

@Suite struct MaintenanceTests {
    static func key(_ index: Int) -> CheckpointKey {
        CheckpointKey(account: "acct", container: "inbox", blobName: "file-\(index).csv", eTag: "0x\(index)")
    }

    @Test func summaryCountsStepsAndListsRecentFailuresNewestFirst() throws {
        try withTemporaryFolder { folder in
            let clock = ManualClock()
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a", clock: clock.function)
            let steps: [CheckpointStep] = [
                .received, .downloaded, .completed, .completed, .completed, .deadLettered, .processed,
            ]
            for (index, step) in steps.enumerated() {
                var record = CheckpointRecord(key: Self.key(index), at: clock.now.addingTimeInterval(Double(index)))
                record.complete(step, took: .seconds(1), at: clock.now.addingTimeInterval(Double(index)))
                if index.isMultiple(of: 2) {
                    record.recordFailure("failure \(index)", at: clock.now.addingTimeInterval(Double(index)))
                }
                try store.save(record)
            }
            try Data("garbage".utf8).write(
                to: URL(
                    fileURLWithPath:
                        "\(folder)/records/\(Self.key(2).digest.prefix(2))/\(String(repeating: "0", count: 64)).json"
                )
            )
            _ = try store.claim(Self.key(100), ttl: .seconds(60))
            _ = try store.claim(Self.key(101), ttl: .seconds(5))
            clock.advance(by: 10)
            try store.saveDeadLetter(
                DeadLetterRecord(
                    key: Self.key(5),
                    reason: .permanentFailure,
                    message: "m",
                    attempts: 1,
                    lastError: "e",
                    messageText: "t",
                    messageID: nil,
                    eventID: nil,
                    deadLetteredAt: clock.now,
                    replicaID: "replica-a"
                )
            )

            let summary = try store.summary(recentFailures: 3)
            // Unfinished work is counted from its claim: the two fresh claims are at `received`.
            #expect(
                summary.countsByStep == [.received: 3, .downloaded: 1, .completed: 3, .deadLettered: 1, .processed: 1]
            )
            #expect(summary.totalRecords == 9)
            #expect(summary.count(.uploaded) == 0)
            #expect(summary.unreadableRecords == 1)
            #expect(summary.recentFailures.map(\.lastError) == ["failure 6", "failure 4", "failure 2"])
            #expect(summary.activeClaims == 1)
            #expect(summary.expiredClaims == 4)  // 101, and the three unfinished versions nobody holds
            #expect(summary.deadLetters == 1)
        }
    }

    @Test func pruneRemovesOnlyWhatRetentionAllows() throws {
        try withTemporaryFolder { folder in
            let clock = ManualClock(Date())
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a", clock: clock.function)
            let day = 86_400.0
            func save(_ index: Int, _ step: CheckpointStep, ageInDays: Double) throws {
                var record = CheckpointRecord(key: Self.key(index), at: clock.now.addingTimeInterval(-ageInDays * day))
                record.complete(step, took: .seconds(1), at: clock.now.addingTimeInterval(-ageInDays * day))
                try store.save(record)
            }
            try save(0, .completed, ageInDays: 10)  // pruned
            try save(1, .completed, ageInDays: 1)  // kept: recent
            try save(2, .uploaded, ageInDays: 10)  // kept: unfinished work resumes on redelivery
            try save(3, .deadLettered, ageInDays: 10)  // kept: its dead letter waits for a replay
            try save(4, .deadLettered, ageInDays: 10)  // pruned: its dead letter was purged
            try store.saveDeadLetter(
                DeadLetterRecord(
                    key: Self.key(3),
                    reason: .permanentFailure,
                    message: "m",
                    attempts: 1,
                    lastError: nil,
                    messageText: "t",
                    messageID: nil,
                    eventID: nil,
                    deadLetteredAt: clock.now,
                    replicaID: "replica-a"
                )
            )
            // A claim whose owner vanished long ago, and one that is merely expired.
            _ = try store.claim(Self.key(50), ttl: .seconds(60))
            clock.advance(by: 2 * 3600)
            _ = try store.claim(Self.key(51), ttl: .seconds(60))
            clock.advance(by: 120)

            let report = try store.prune(completedOlderThan: .seconds(7 * day))
            #expect(report.records == 2)
            #expect(report.claims == 0)  // expired claims keep their progress for the retention
            for (index, kept) in [(0, false), (1, true), (2, true), (3, true), (4, false)] {
                #expect(try (store.load(Self.key(index)) != nil) == kept, "record \(index)")
            }
            let claims = Set(filesUnder(folder + "/claims").map { String($0.dropFirst(3)) })
            #expect(claims == Set([1, 2, 3, 50, 51].map { "\(Self.key($0).digest).claim" }))
            #expect(try store.prune(completedOlderThan: .seconds(7 * day)) == PruneReport())
            // A week later the recent record goes with its claim, and the abandoned claims too.
            clock.advance(by: 7 * day)
            let later = try store.prune(completedOlderThan: .seconds(7 * day))
            #expect(later.records == 1)
            #expect(later.claims == 3)
            #expect(filesUnder(folder + "/claims").map { String($0.dropFirst(3)) } == ["\(Self.key(3).digest).claim"])
        }
    }

    @Test func pruneRemovesOldDamagedFilesAndLeftoverLocks() throws {
        try withTemporaryFolder { folder in
            let clock = ManualClock(Date())
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a", clock: clock.function)
            let key = Self.key(7)
            var record = CheckpointRecord(key: key, at: clock.now)
            record.complete(.completed, took: .seconds(1), at: clock.now)
            try store.save(record)
            let path = "\(folder)/records/\(key.digest.prefix(2))/\(key.digest).json"
            try Data("{".utf8).write(to: URL(fileURLWithPath: path))
            // An old file damaged today: retention counts from when it was moved aside.
            try FileManager.default.setAttributes(
                [.modificationDate: Date().addingTimeInterval(-30 * 86_400)],
                ofItemAtPath: path
            )
            // The claim kept beside the record still has its copy.
            #expect(try store.load(key)?.step == .completed)
            let lock = "\(folder)/claims/\(key.digest.prefix(2))/\(key.digest).lock"
            #expect(FileManager.default.createFile(atPath: lock, contents: Data()))

            #expect(try store.prune(completedOlderThan: .seconds(7 * 86_400)) == PruneReport())
            clock.advance(by: 8 * 86_400)
            let report = try store.prune(completedOlderThan: .seconds(7 * 86_400))
            #expect(report.corruptFiles == 1)
            #expect(report.leftovers == 1)
            // The claim (its record gone) goes once no lock is left beside it.
            _ = try store.prune(completedOlderThan: .seconds(7 * 86_400))
            #expect(filesUnder(folder) == ["layout-2"])
        }
    }
}
