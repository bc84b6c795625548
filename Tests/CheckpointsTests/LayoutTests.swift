import Checkpoints
import Foundation
import Testing

/// Layout 2: claims kept beside final records in fan-out folders, the one-time conversion of a
/// folder written by layout 1, and what a version costs.
@Suite struct LayoutTests {
    static func key(_ index: Int) -> CheckpointKey {
        CheckpointKey(account: "acct", container: "inbox", blobName: "f-\(index).txt", eTag: "0x\(index)")
    }

    @Test func finishedVersionKeepsItsClaimAndIsADuplicate() throws {
        try withTemporaryFolder { folder in
            let a = try CheckpointStore(directory: folder, replicaID: "replica-a")
            let b = try CheckpointStore(directory: folder, replicaID: "replica-b")
            let key = Self.key(1)
            guard case .acquired(let claim) = try a.claim(key, ttl: .seconds(60), eventID: "evt", messageID: "msg")
            else {
                Issue.record("a new version should be claimed")
                return
            }
            #expect(claim.record.attempts == 1)
            #expect(claim.record.eventID == "evt")
            var record = claim.record
            record.complete(.completed, took: .seconds(1))
            try a.finish(claim, record: record)
            try a.flush()
            #expect(try b.claim(key, ttl: .seconds(60)) == .finished)
            #expect(try a.claim(key, ttl: .seconds(60)) == .finished)
            #expect(try b.load(key)?.step == .completed)
            let digest = key.digest
            #expect(Set(filesUnder(folder + "/claims")) == ["\(digest.prefix(2))/\(digest).claim"])
            #expect(filesUnder(folder + "/records") == ["\(digest.prefix(2))/\(digest).json"])
        }
    }

    @Test func releasedClaimKeepsProgressForTheNextAttempt() throws {
        try withTemporaryFolder { folder in
            let clock = ManualClock()
            let a = try CheckpointStore(directory: folder, replicaID: "replica-a", clock: clock.function)
            let b = try CheckpointStore(directory: folder, replicaID: "replica-b", clock: clock.function)
            let key = Self.key(2)
            guard case .acquired(let first) = try a.claim(key, ttl: .seconds(60)) else {
                Issue.record("a new version should be claimed")
                return
            }
            #expect(try a.note(first) { $0.complete(.downloaded, took: .seconds(2)) })
            #expect(try a.release(first, lastError: "download-failed: reset"))
            #expect(try a.load(key)?.lastError == "download-failed: reset")
            guard case .acquired(let second) = try b.claim(key, ttl: .seconds(60)) else {
                Issue.record("a released claim should be taken over")
                return
            }
            #expect(second.record.attempts == 2)
            #expect(second.record.step == .downloaded)
            #expect(second.owner == "replica-b")
            #expect(try !a.release(first))
        }
    }

    @Test func expiredClaimIsTakenOverWithItsProgressByExactlyOne() throws {
        try withTemporaryFolder { folder in
            let clock = ManualClock()
            let crashed = try CheckpointStore(directory: folder, replicaID: "crashed", clock: clock.function)
            let key = Self.key(3)
            guard case .acquired(let abandoned) = try crashed.claim(key, ttl: .seconds(10)) else {
                Issue.record("a new version should be claimed")
                return
            }
            clock.advance(by: 11)
            let outcomes = onThreads(8) { index -> Claim? in
                guard
                    let store = try? CheckpointStore(directory: folder, replicaID: "r\(index)", clock: clock.function),
                    case .acquired(let claim)? = try? store.claim(key, ttl: .seconds(10))
                else { return nil }
                return claim
            }
            let winners = outcomes.compactMap { $0 }
            #expect(winners.count == 1)
            #expect(winners.first?.record.attempts == 2)
            #expect(try !crashed.renew(abandoned, ttl: .seconds(10)))
        }
    }

    /// A folder as blobflow's first layout left it: a completed record, an unfinished one and a
    /// claim directly in `claims/`.
    @Test func folderOfTheFirstLayoutIsConvertedOnce() throws {
        try withTemporaryFolder { folder in
            let done = Self.key(10)
            let unfinished = Self.key(11)
            for (key, record) in [
                (done, Self.layoutOneRecord(done, step: "completed", attempts: 1)),
                (unfinished, Self.layoutOneRecord(unfinished, step: "downloaded", attempts: 2)),
            ] {
                let bucket = "\(folder)/records/\(key.digest.prefix(2))"
                try FileManager.default.createDirectory(atPath: bucket, withIntermediateDirectories: true)
                try Data(record.utf8).write(to: URL(fileURLWithPath: "\(bucket)/\(key.digest).json"))
            }
            try FileManager.default.createDirectory(atPath: "\(folder)/claims", withIntermediateDirectories: true)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: "\(folder)/claims/\(unfinished.digest).claim"))

            let store = try CheckpointStore(directory: folder, replicaID: "replica-new")
            #expect(FileManager.default.fileExists(atPath: folder + "/layout-2"))
            #expect(try store.claim(done, ttl: .seconds(60)) == .finished)
            #expect(try store.load(done)?.step == .completed)
            guard case .acquired(let claim) = try store.claim(unfinished, ttl: .seconds(60)) else {
                Issue.record("the unfinished version should be claimable")
                return
            }
            #expect(claim.record.attempts == 3)
            #expect(claim.record.step == .downloaded)
            #expect(claim.record.eventID == "evt-old")
            #expect(
                !FileManager.default.fileExists(
                    atPath: "\(folder)/records/\(unfinished.digest.prefix(2))/\(unfinished.digest).json"
                )
            )
            let summary = try store.summary()
            #expect(summary.countsByStep[.completed] == 1)
            #expect(summary.countsByStep[.downloaded] == 1)
            // Opening again converts nothing more.
            _ = try CheckpointStore(directory: folder, replicaID: "replica-other")
            #expect(try store.claim(done, ttl: .seconds(60)) == .finished)
        }
    }

    @Test func claimsAndRecordsSpreadOverFanOutFolders() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a")
            for index in 0..<64 {
                guard case .acquired(let claim) = try store.claim(Self.key(index), ttl: .seconds(60)) else { continue }
                var record = claim.record
                record.complete(.completed, took: .zero)
                try store.finish(claim, record: record)
            }
            try store.flush()
            let claimFolders = Set(filesUnder(folder + "/claims").map { $0.prefix(2) })
            #expect(claimFolders.count > 30)
            #expect(try store.summary().countsByStep[.completed] == 64)
        }
    }

    static func layoutOneRecord(_ key: CheckpointKey, step: String, attempts: Int) -> String {
        """
        {
          "account" : "\(key.account)", "attempts" : \(attempts), "blobName" : "\(key.blobName)",
          "container" : "\(key.container)", "eTag" : "\\"\(key.eTag.dropFirst().dropLast())\\"", "eventID" : "evt-old",
          "firstSeen" : "2026-11-01T10:00:00.000Z", "messageID" : "msg-old", "outputs" : [ ], "replays" : 0,
          "replicaID" : "replica-old", "schemaVersion" : 1, "step" : "\(step)", "timings" : { },
          "updatedAt" : "2026-11-01T10:00:05.000Z"
        }
        """
    }
}
