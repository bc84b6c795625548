import Checkpoints
import Foundation
import Testing

@Suite struct DeadLetterTests {
    static let key = CheckpointKey(account: "acct", container: "inbox", blobName: "bad.csv", eTag: "0x9")

    static func deadLetter(key: CheckpointKey?, at seconds: Double, messageID: String? = "msg-1") -> DeadLetterRecord {
        DeadLetterRecord(
            key: key,
            reason: key == nil ? .undecodableMessage : .dequeueLimitReached,
            message: "delivered 5 times",
            attempts: 5,
            lastError: "processing exited with code 2",
            messageText: "eyJpZCI6ICJldnQtMSJ9",
            messageID: messageID,
            eventID: key == nil ? nil : "evt-1",
            deadLetteredAt: Date(timeIntervalSince1970: seconds),
            replicaID: "replica-a"
        )
    }

    @Test func roundTripsListsAndRemoves() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a")
            #expect(try store.deadLetters().isEmpty)
            let keyed = Self.deadLetter(key: Self.key, at: 1_800_000_100)
            let undecodable = Self.deadLetter(key: nil, at: 1_800_000_000, messageID: "msg-raw")
            try store.saveDeadLetter(keyed)
            try store.saveDeadLetter(undecodable)
            #expect(try store.deadLetters() == [undecodable, keyed])  // oldest first
            #expect(try store.deadLetter(for: Self.key) == keyed)
            #expect(filesUnder(folder + "/deadletters").contains("\(Self.key.digest).json"))
            let text = try String(contentsOfFile: "\(folder)/deadletters/\(Self.key.digest).json", encoding: .utf8)
            #expect(text.contains("\"reason\" : \"dequeue-limit-reached\""))
            #expect(text.contains("\"messageText\" : \"eyJpZCI6ICJldnQtMSJ9\""))

            // Saving again replaces.
            var again = keyed
            again.attempts = 6
            try store.saveDeadLetter(again)
            #expect(try store.deadLetters().count == 2)
            #expect(try store.deadLetter(for: Self.key)?.attempts == 6)

            #expect(try store.removeDeadLetter(Self.key))
            #expect(try !store.removeDeadLetter(Self.key))
            #expect(try store.removeDeadLetter(undecodable))
            #expect(try store.deadLetters().isEmpty)
        }
    }

    @Test func damagedDeadLetterIsMovedAsideAndOthersStillListed() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a")
            try store.saveDeadLetter(Self.deadLetter(key: Self.key, at: 1_800_000_000))
            try Data("{\"reason\": ".utf8).write(to: URL(fileURLWithPath: folder + "/deadletters/garbage.json"))
            try Data("{".utf8).write(to: URL(fileURLWithPath: folder + "/deadletters/.half-written.json.x.tmp"))
            var reports: [CheckpointCorruption] = []
            let listed = try store.deadLetters { reports.append($0) }
            #expect(listed.map(\.key) == [Self.key])
            #expect(reports.map(\.path) == [folder + "/deadletters/garbage.json"])
            #expect(filesUnder(folder + "/corrupt").count == 1)
        }
    }
}
