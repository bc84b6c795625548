import Checkpoints
import Foundation
import Testing

@Suite struct CheckpointStoreTests {
    static let key = CheckpointKey(account: "acct", container: "inbox", blobName: "a/b/c.csv", eTag: "0x1")

    static func sampleRecord(at date: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> CheckpointRecord {
        var record = CheckpointRecord(
            key: Self.key,
            eventID: "evt-1",
            messageID: "msg-1",
            replicaID: "replica-a",
            at: date
        )
        record.beginAttempt(eventID: "evt-1", messageID: "msg-1", replicaID: "replica-a", at: date)
        record.complete(.downloaded, took: .milliseconds(250), at: date.addingTimeInterval(1))
        record.complete(.processed, took: .seconds(2), at: date.addingTimeInterval(3))
        record.complete(.completed, took: .seconds(2), at: date.addingTimeInterval(3))
        record.outputs = [CheckpointOutput(name: "out/c.parquet", size: 1234, md5: "1B2M2Y8AsgTpgAmY7PhCfg==")]
        record.recordFailure("upload timed out", at: date.addingTimeInterval(4))
        return record
    }

    @Test func roundTripsAndIsHumanReadable() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a")
            #expect(try store.load(Self.key) == nil)
            let record = Self.sampleRecord()
            try store.save(record)
            #expect(try store.load(Self.key) == record)

            let digest = Self.key.digest
            #expect(filesUnder(folder + "/records") == ["\(digest.prefix(2))/\(digest).json"])
            let text = try String(
                contentsOfFile: "\(folder)/records/\(digest.prefix(2))/\(digest).json",
                encoding: .utf8
            )
            #expect(text.contains("\"blobName\" : \"a/b/c.csv\""))
            #expect(text.contains("\"eTag\" : \"\\\"0x1\\\"\""))
            #expect(text.contains("\"step\" : \"completed\""))
            #expect(text.contains("\"updatedAt\" : \"2027-01-15T08:00:04.000Z\""))
            #expect(text.hasSuffix("}\n"))
            // Sorted keys: the file diffs cleanly between saves.
            let account = try #require(text.range(of: "\"account\""))
            let updated = try #require(text.range(of: "\"updatedAt\""))
            #expect(account.lowerBound < updated.lowerBound)

            #expect(try store.delete(Self.key))
            #expect(try store.load(Self.key) == nil)
            #expect(try !store.delete(Self.key))
        }
    }

    @Test func savesReplaceAtomicallyAndLeaveNoTemporaryFiles() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a")
            var record = Self.sampleRecord()
            for step in [CheckpointStep.uploaded, .completed] {
                record.complete(step, took: .seconds(1))
                try store.save(record)
            }
            #expect(try store.load(Self.key)?.step == .completed)
            #expect(filesUnder(folder).allSatisfy { !$0.contains(".tmp") })
            // The record, the claim kept beside it, and the layout marker.
            #expect(filesUnder(folder).count == 3)
        }
    }

    @Test func temporaryFileLeftByACrashIsIgnoredThenPruned() throws {
        try withTemporaryFolder { folder in
            let clock = ManualClock(Date())
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a", clock: clock.function)
            let record = Self.sampleRecord()
            try store.save(record)
            // A writer died after writing half of its temporary file.
            let digest = Self.key.digest
            let leftover = "\(folder)/records/\(digest.prefix(2))/.\(digest).json.dead.tmp"
            try Data("{\"account\": \"ac".utf8).write(to: URL(fileURLWithPath: leftover))

            #expect(try store.load(Self.key) == record)
            #expect(try store.summary().totalRecords == 1)
            #expect(try store.prune(completedOlderThan: .seconds(86400)).leftovers == 0)  // too young to be sure
            clock.advance(by: 2 * 3600)
            let report = try store.prune(completedOlderThan: .seconds(86400))
            #expect(report.leftovers == 1)
            #expect(!FileManager.default.fileExists(atPath: leftover))
            #expect(try store.load(Self.key) == record)
        }
    }

    @Test(arguments: ["", "{\"account\": \"acct\", \"contai", "not json at all", "{\"account\": \"acct\"}"])
    func damagedRecordIsMovedAsideAndTreatedAsAbsent(content: String) throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a")
            try store.save(Self.sampleRecord())
            let digest = Self.key.digest
            let path = "\(folder)/records/\(digest.prefix(2))/\(digest).json"
            try Data(content.utf8).write(to: URL(fileURLWithPath: path))

            var reports: [CheckpointCorruption] = []
            // The claim kept beside the record still has its copy.
            #expect(try store.load(Self.key) { reports.append($0) } == Self.sampleRecord())
            #expect(reports.count == 1)
            #expect(reports.first?.path == path)
            let moved = try #require(reports.first?.movedTo)
            #expect(moved.hasPrefix(folder + "/corrupt/\(digest).json."))
            #expect(try String(contentsOfFile: moved, encoding: .utf8) == content)
            #expect(!FileManager.default.fileExists(atPath: path))
            // The work starts afresh and the next save works.
            try store.save(Self.sampleRecord())
            #expect(try store.load(Self.key) == Self.sampleRecord())
        }
    }

    @Test func recordOfAnotherKeyIsMovedAside() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a")
            let other = CheckpointKey(account: "acct", container: "inbox", blobName: "other", eTag: "0x2")
            var record = CheckpointRecord(key: other)
            record.complete(.completed, took: .seconds(1))
            try store.save(record)
            let from = "\(folder)/records/\(other.digest.prefix(2))/\(other.digest).json"
            let to = "\(folder)/records/\(Self.key.digest.prefix(2))/\(Self.key.digest).json"
            try FileManager.default.createDirectory(
                atPath: "\(folder)/records/\(Self.key.digest.prefix(2))",
                withIntermediateDirectories: true
            )
            try FileManager.default.copyItem(atPath: from, toPath: to)
            var reports: [CheckpointCorruption] = []
            #expect(try store.load(Self.key) { reports.append($0) } == nil)
            #expect(reports.first?.reason.contains("other") == true)
        }
    }

    @Test func recordFromANewerSchemaIsLeftAlone() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a")
            let digest = Self.key.digest
            let path = "\(folder)/records/\(digest.prefix(2))/\(digest).json"
            try FileManager.default.createDirectory(
                atPath: "\(folder)/records/\(digest.prefix(2))",
                withIntermediateDirectories: true
            )
            try Data("{\"schemaVersion\": 7, \"step\": {\"kind\": \"new\"}}".utf8).write(to: URL(fileURLWithPath: path))
            #expect {
                try store.load(Self.key)
            } throws: { error in
                (error as? CheckpointError)?.isNewerSchema == true
            }
            #expect(FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func resetForReplayStartsOver() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a")
            var record = Self.sampleRecord()
            record.markDeadLettered(reason: "permanent-failure")
            try store.save(record)
            let reset = try #require(try store.resetForReplay(Self.key))
            #expect(reset.step == .received && reset.replays == 1 && reset.outputs.isEmpty)
            let reloaded = try store.load(Self.key)
            #expect(reloaded == reset)
            #expect(
                try store.resetForReplay(CheckpointKey(account: "a", container: "b", blobName: "c", eTag: "d")) == nil
            )
        }
    }

    @Test func trailingSlashAndMissingFoldersAreFine() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder + "/nested/share/", replicaID: "replica-a")
            #expect(store.directory == folder + "/nested/share")
            try store.save(Self.sampleRecord())
            #expect(try store.load(Self.key) != nil)
        }
    }
}
