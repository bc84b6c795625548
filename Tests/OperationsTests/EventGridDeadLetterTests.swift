import BlobEvents
import Foundation
import Operations
import StorageClient
import Testing

@Suite("Replaying Event Grid's dead-letter blobs", .serialized)
struct EventGridDeadLetterTests {
    /// `events` as Event Grid writes them into a dead-letter blob: a JSON array, each event with
    /// its dead-letter members added.
    private static func deadLetterBlob(
        _ events: [TestEvent],
        reason: String = "MaxDeliveryAttemptsExceeded"
    ) throws -> [UInt8] {
        let objects = try events.map { event -> [String: Any] in
            var object = try #require(try JSONSerialization.jsonObject(with: Data(event.json.utf8)) as? [String: Any])
            object["deadLetterReason"] = reason
            object["deliveryAttempts"] = 30
            object["lastDeliveryOutcome"] = "NotFound"
            object["publishTime"] = "2026-11-20T09:15:42.1234567Z"
            object["lastDeliveryAttemptTime"] = "2026-11-21T09:15:42.1234567Z"
            return object
        }
        return Array(try JSONSerialization.data(withJSONObject: objects))
    }

    @Test("each event becomes one queue message; read blobs are deleted, bad ones kept", .timeLimit(.minutes(2)))
    func replay() async throws {
        try await OperationsHarness.run { harness in
            let container = harness.pipeline.container("eventgrid-deadletters")
            try await container.createIfNotExists()
            let first = [TestEvent("a.txt"), TestEvent("scans/b.tif")]
            let second = [TestEvent("c.txt")]
            try await container.blob("BLOBFLOW-EVENTS/2026/11/20/9/1111.json").upload(try Self.deadLetterBlob(first))
            try await container.blob("BLOBFLOW-EVENTS/2026/11/21/3/2222.json").upload(
                try Self.deadLetterBlob(second, reason: "TimeToLiveExceeded")
            )
            try await container.blob("BLOBFLOW-EVENTS/2026/11/21/4/3333.json").upload(Array("not json".utf8))
            try await container.blob("OTHER-SUBSCRIPTION/2026/11/21/4/4444.json").upload(
                try Self.deadLetterBlob([TestEvent("other.txt")])
            )

            let dry = try await harness.replayer().replayEventGridDeadLetters(
                container: container,
                prefix: "BLOBFLOW-EVENTS/",
                dryRun: true
            )
            #expect(dry.rows.count == 3)
            #expect(dry.rows.filter { $0.action == .wouldMove }.map(\.events) == [2, 1])
            #expect(try await harness.visibleTexts(harness.queue).isEmpty)
            #expect(try await container.listBlobs().allBlobs().count == 4)

            let report = try await harness.replayer().replayEventGridDeadLetters(
                container: container,
                prefix: "BLOBFLOW-EVENTS/",
                dryRun: false
            )
            #expect(report.rows.map(\.action.code) == ["moved", "moved", "failed"])
            #expect(report.rows[0].eventIDs == first.map(\.id))
            #expect(report.rows[0].deadLetterReasons == ["MaxDeliveryAttemptsExceeded"])
            #expect(report.rows[1].deadLetterReasons == ["TimeToLiveExceeded"])
            #expect(report.summary == "enqueued 3 event(s); removed 2 of 3 blob(s); 1 blob(s) failed and were kept")

            let messages = try await harness.queue.peekMessages(maxMessages: 32)
            #expect(messages.count == 3)
            var decodedIDs: [String] = []
            for message in messages {
                guard case .work(let item) = MessageDecoder.decode(message.text, filter: harness.filter) else {
                    Issue.record(
                        "a replayed Event Grid dead letter is not work: \(MessageDecoder.describe(MessageDecoder.decode(message.text, filter: harness.filter)))"
                    )
                    continue
                }
                decodedIDs.append(item.eventID)
                // Event Grid's queue form: base64 of a one-event array.
                let json = try #require(Data(base64Encoded: message.text))
                #expect((try JSONSerialization.jsonObject(with: json) as? [Any])?.count == 1)
            }
            #expect(decodedIDs.sorted() == (first + second).map(\.id).sorted())
            let left = try await container.listBlobs().allBlobs().map(\.name).sorted()
            #expect(left == ["BLOBFLOW-EVENTS/2026/11/21/4/3333.json", "OTHER-SUBSCRIPTION/2026/11/21/4/4444.json"])
            #expect(report.table().contains("3333.json"))
        }
    }
}
