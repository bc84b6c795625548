import Checkpoints
import Foundation
import Testing

@Suite struct CheckpointRecordTests {
    static let key = CheckpointKey(
        account: "Acct",
        container: "Inbox",
        blobName: "dir/Report 1.csv",
        eTag: "0x8DCF0A1B2C3D4E5"
    )

    @Test func keyNormalisesCaseAndETagQuotes() {
        #expect(Self.key.account == "acct")
        #expect(Self.key.container == "inbox")
        #expect(Self.key.blobName == "dir/Report 1.csv")
        #expect(Self.key.eTag == "\"0x8DCF0A1B2C3D4E5\"")
        let fromHeader = CheckpointKey(
            account: "acct",
            container: "inbox",
            blobName: "dir/Report 1.csv",
            eTag: "\"0x8DCF0A1B2C3D4E5\""
        )
        #expect(fromHeader == Self.key)
        #expect(fromHeader.digest == Self.key.digest)
    }

    @Test func digestIsStableHexAndSeparatesFields() {
        #expect(Self.key.digest.count == 64)
        #expect(Self.key.digest.allSatisfy { "0123456789abcdef".contains($0) })
        // The canonical form is length-prefixed, so moving a character between fields changes it.
        let a = CheckpointKey(account: "a", container: "bc", blobName: "d", eTag: "e")
        let b = CheckpointKey(account: "ab", container: "c", blobName: "d", eTag: "e")
        #expect(a.digest != b.digest)
        let otherVersion = CheckpointKey(account: "acct", container: "inbox", blobName: "dir/Report 1.csv", eTag: "0x1")
        #expect(otherVersion.digest != Self.key.digest)
        // Pinned (SHA-256 of "blobflow-checkpoint-key-v1\n1:a\n2:bc\n1:d\n3:\"e\"\n"): changing the
        // canonical form would orphan every record on existing shares.
        #expect(a.digest == CheckpointKey(account: "A", container: "BC", blobName: "d", eTag: "\"e\"").digest)
        #expect(a.digest == "666b714b7adb42175055d522af934568dd7696da614009b2b4507bb2ff2848a2")
    }

    /// Pinned digests of a realistic key and of weak and malformed eTags, so that a change in how
    /// the eTag is normalised cannot silently orphan existing records.
    @Test func digestOfKnownKeysIsUnchanged() {
        #expect(Self.key.digest == "00c3135c30b63ae9c748eabd45c4d5a45235231df9d514d09e763b2d95647158")
        let weak = CheckpointKey(account: "acct", container: "inbox", blobName: "dir/Report 1.csv", eTag: "W/\"0x1\"")
        #expect(weak.eTag == "W/\"0x1\"")
        #expect(weak.digest == "de7e507b4bd58ac0d13c7181872b26d799f7ffd0a078ae2b42290866246b2887")
        let notWeak = CheckpointKey(account: "acct", container: "inbox", blobName: "dir/Report 1.csv", eTag: "W/0x1")
        #expect(notWeak.eTag == "\"W/0x1\"")
        #expect(notWeak.digest == "90d128a730c4dac6e416f600e9686d947f4afdc79271efc3b5534617e4f424ae")
    }

    @Test func stepsAreOrdered() {
        #expect(CheckpointStep.allCases == [.received, .downloaded, .processed, .uploaded, .completed, .deadLettered])
        #expect(CheckpointStep.received < .downloaded)
        #expect(CheckpointStep.uploaded < .completed)
        #expect(CheckpointStep.received.next == .downloaded)
        #expect(CheckpointStep.uploaded.next == .completed)
        #expect(CheckpointStep.completed.next == nil)
        #expect(CheckpointStep.deadLettered.next == nil)
        #expect(CheckpointStep.deadLettered.rawValue == "dead-lettered")
    }

    @Test func recordLifecycle() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var record = CheckpointRecord(key: Self.key, eventID: "e1", messageID: "m1", replicaID: "r1", at: start)
        #expect(record.step == .received)
        record.beginAttempt(eventID: "e2", messageID: "m2", replicaID: "r2", at: start.addingTimeInterval(1))
        record.complete(.downloaded, took: .milliseconds(1500), at: start.addingTimeInterval(2))
        record.recordFailure("exit code 3", at: start.addingTimeInterval(3))
        record.complete(.received, took: .zero)  // never moves backwards
        #expect(record.step == .downloaded)
        #expect(record.attempts == 1)
        #expect(record.eventID == "e2")
        #expect(record.replicaID == "r2")
        #expect(record.timings["downloaded"] == 1.5)
        #expect(record.lastError == "exit code 3")
        record.markDeadLettered(reason: "permanent-failure")
        #expect(record.step == .deadLettered)
        record.resetForReplay()
        #expect(record.step == .received)
        #expect(
            record.attempts == 0 && record.replays == 1 && record.lastError == nil && record.deadLetterReason == nil
        )
        #expect(record.firstSeen == start)
    }

    @Test func decodesRecordsFromOtherVersions() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "r1")
            let path = "\(folder)/records/\(Self.key.digest.prefix(2))/\(Self.key.digest).json"
            try FileManager.default.createDirectory(
                atPath: "\(folder)/records/\(Self.key.digest.prefix(2))",
                withIntermediateDirectories: true
            )
            // Only the required fields, plus fields this version does not know.
            let minimal = """
                {"account": "acct", "container": "inbox", "blobName": "dir/Report 1.csv",
                 "eTag": "\\"0x8DCF0A1B2C3D4E5\\"", "step": "processed", "futureField": {"x": [1, 2]},
                 "updatedAt": "2026-11-21T13:42:24.5Z", "outputs": [{"name": "o.csv", "size": 12, "extra": true}]}
                """
            try Data(minimal.utf8).write(to: URL(fileURLWithPath: path))
            let record = try #require(try store.load(Self.key))
            #expect(record.step == .processed)
            #expect(record.attempts == 0)
            #expect(record.schemaVersion == 1)
            #expect(record.updatedAt == Date(timeIntervalSince1970: 1_795_268_544.5))
            #expect(record.firstSeen == record.updatedAt)
            #expect(record.outputs == [CheckpointOutput(name: "o.csv", size: 12)])
        }
    }
}
