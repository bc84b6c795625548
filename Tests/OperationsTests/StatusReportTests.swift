import Checkpoints
import Foundation
import Operations
import StorageClient
import Testing

@Suite("Status against the development server", .serialized)
struct StatusReportTests {
    @Test("queue depths, checkpoint counts, claims, dead letters and recent failures match", .timeLimit(.minutes(2)))
    func numbersMatch() async throws {
        try await OperationsHarness.run { harness in
            for index in 0..<3 { try await harness.queue.sendMessage(TestEvent("waiting-\(index).txt").messageText) }
            try await harness.deadLetter(TestEvent("dead-1.txt"), attempts: 5)
            try await harness.deadLetter(TestEvent("dead-2.txt"), attempts: 1, reason: .permanentFailure)
            try await harness.deadLetterUndecodable("garbage")
            for index in 0..<4 {
                var record = CheckpointRecord(key: harness.key("done-\(index).txt", eTag: "0x1"))
                record.step = .completed
                try harness.store.save(record)
            }
            var failing = CheckpointRecord(
                key: harness.key("retrying.txt", eTag: "0x2"),
                at: Date().addingTimeInterval(60)
            )
            failing.step = .downloaded
            failing.attempts = 2
            failing.lastError = "app-exit-1: the app failed"
            try harness.store.save(failing)
            let claimed = CheckpointRecord(key: harness.key("working.txt", eTag: "0x3"))
            try harness.store.save(claimed)
            _ = try harness.store.claim(claimed.key, ttl: .seconds(600))

            let report = try await StatusReport.gather(
                queue: harness.queue,
                poisonQueue: harness.poisonQueue,
                store: harness.store
            )

            #expect(report.queue.name == "blobflow-events")
            #expect(report.queue.approximateMessageCount == 3)
            #expect(report.queue.exists == true)
            #expect(report.poisonQueue.approximateMessageCount == 3)
            #expect(report.checkpoints.total == 8)
            #expect(report.checkpoints.count("completed") == 4)
            #expect(report.checkpoints.count("dead-lettered") == 2)
            #expect(report.checkpoints.count("downloaded") == 1)
            #expect(report.checkpoints.count("received") == 1)
            #expect(report.checkpoints.count("uploaded") == 0)
            #expect(report.checkpoints.byStep.count == CheckpointStep.allCases.count)
            #expect(report.checkpoints.activeClaims == 1)
            // The retrying version's progress sits in its claim, expired until its next delivery.
            #expect(report.checkpoints.expiredClaims == 1)
            #expect(report.checkpoints.deadLetterRecords == 3)

            // Two dead-lettered versions (record and dead letter merged), one undecodable message,
            // one retrying version: the latter is the newest.
            #expect(report.recentFailures.count == 4)
            #expect(report.recentFailures.first?.blob == "input/retrying.txt")
            #expect(report.recentFailures.first?.attempts == 2)
            let dead = try #require(report.recentFailures.first { $0.blob == "input/dead-2.txt" })
            #expect(dead.step == "dead-lettered")
            #expect(dead.deadLetterReason == "permanent-failure")
            #expect(dead.lastError == "app-exit-1: the app failed")
            #expect(report.recentFailures.contains { $0.blob == nil && $0.deadLetterReason == "undecodable-message" })

            let limited = try await StatusReport.gather(
                queue: harness.queue,
                poisonQueue: harness.poisonQueue,
                store: harness.store,
                recentFailures: 2
            )
            #expect(limited.recentFailures.count == 2)

            let text = report.text()
            #expect(text.contains("blobflow-events-poison"))
            #expect(text.contains("dead-lettered"))
            #expect(text.contains("1 active, 1 expired"))
            #expect(text.contains("input/retrying.txt"))
            #expect(!text.contains("AccountKey"))

            let json = try report.json()
            #expect(json.contains("\"generatedAt\" : \"20"))
            #expect(!json.contains("garbage"))
            #expect(try StatusReport.decode(json: json).checkpoints == report.checkpoints)
        }
    }

    @Test("missing queues show depth 0 and a note instead of failing", .timeLimit(.minutes(2)))
    func missingQueues() async throws {
        try await OperationsHarness.run(createQueues: false) { harness in
            let report = try await StatusReport.gather(
                queue: harness.queue,
                poisonQueue: harness.poisonQueue,
                store: harness.store
            )
            #expect(report.queue.exists == false)
            #expect(report.queue.approximateMessageCount == 0)
            #expect(report.queue.note == "the queue does not exist")
            #expect(report.poisonQueue.exists == false)
            #expect(report.checkpoints.total == 0)
            #expect(report.recentFailures.isEmpty)
            #expect(report.text().contains("the queue does not exist"))
        }
    }
}
