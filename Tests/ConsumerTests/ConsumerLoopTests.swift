import BlobEvents
import Checkpoints
import Consumer
import DevStorage
import DevStorageTesting
import Foundation
import Logging
import Processing
import ServiceLifecycle
import StorageClient
import StorageHTTP
import Synchronization
import Testing

/// Counts how often each blob was processed and where each attempt resumed; fails blobs whose
/// name contains "fail" after a quick download step.
private struct CountingProcessor: Processor {
    let shared: ConsumerLoopTests.Shared
    var name: String { "counting" }

    func process(_ job: ProcessingJob, context: ProcessingContext) async throws -> ProcessingResult {
        self.shared.counts.withLock { $0[job.item.blobName, default: 0] += 1 }
        self.shared.resumedFrom.withLock { $0[job.item.blobName, default: []].append(job.resumeFrom) }
        if job.item.blobName.contains("fail") {
            // Too quick to be saved in the claim at once: the failed attempt's release saves it.
            await context.reached(.downloaded, 0.01)
            throw ProcessingFailure(.retryable, reason: "app-exit-1", message: "the app failed")
        }
        if job.item.blobName.contains("bad") {
            throw ProcessingFailure(.permanent, reason: "app-exit-65", message: "the app said the input is bad")
        }
        return ProcessingResult(outputs: [.init(name: job.item.blobName + ".out", size: 1)])
    }
}

@Suite("Consumer loop against the development server", .serialized)
struct ConsumerLoopTests {
    final class Shared: Sendable {
        let counts = Mutex<[String: Int]>([:])
        let resumedFrom = Mutex<[String: [ProcessingStep?]]>([:])
    }

    @Test(
        "uploads become events processed exactly once; skips, duplicates, poison and failures end where they should",
        .timeLimit(.minutes(2))
    )
    func endToEnd() async throws {
        try await withDevStorage(configure: { configuration in
            configuration.subscriptions = [.default]
        }) { endpoints in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("consumer-\(UUID().uuidString)")
                .path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let pipeline = StoragePipeline(
                account: try StorageAccount(connectionString: endpoints.connectionString()),
                http: try CurlTransport()
            )
            var configuration = ConsumerConfiguration()
            configuration.checkpointDirectory = folder + "/checkpoints"
            configuration.workDirectory = folder + "/work"
            configuration.poisonQueueName = "blobflow-events-poison"
            configuration.maxPollInterval = .milliseconds(200)
            configuration.retryDelay = .seconds(1)
            configuration.maxRetryDelay = .seconds(1)
            configuration.maxDequeueCount = 2
            configuration.visibilityTimeout = 30
            configuration.concurrency = 8
            let store = try CheckpointStore(directory: configuration.checkpointDirectory, replicaID: "test-replica")
            let shared = Shared()
            let consumer = Consumer(
                configuration: configuration,
                pipeline: pipeline,
                store: store,
                processor: CountingProcessor(shared: shared),
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            )
            let input = pipeline.container("input")
            try await input.createIfNotExists()
            for index in 0..<20 {
                try await input.blob("files/\(index).txt").upload(Array("file \(index)".utf8))
            }
            try await input.blob("fail-always.txt").upload([1])
            try await input.blob("bad-input.txt").upload([2])
            let queue = pipeline.queue("blobflow-events")
            try await queue.sendMessage("this is not an event")
            // The same event again: a duplicate of files/0.txt.
            let group = ServiceGroup(
                services: [consumer],
                gracefulShutdownSignals: [],
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            )
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    let summary = try store.summary()
                    if summary.count(.completed) == 20, summary.count(.deadLettered) == 2,
                        try await queue.properties().approximateMessageCount == 0
                    {
                        break
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            let processed = shared.counts.withLock { $0 }
            for index in 0..<20 { #expect(processed["files/\(index).txt"] == 1) }
            #expect(processed["fail-always.txt"] == 2)
            #expect(
                shared.resumedFrom.withLock { $0["fail-always.txt"] } == [nil, .downloaded],
                "the retry skips the quick download the failed attempt reached"
            )
            #expect(processed["bad-input.txt"] == 1)
            let summary = try store.summary()
            #expect(summary.count(.completed) == 20)
            #expect(summary.count(.deadLettered) == 2)
            #expect(try await queue.properties().approximateMessageCount == 0)
            let poison = try await pipeline.queue("blobflow-events-poison").peekMessages(maxMessages: 32)
            #expect(poison.count == 3)
            #expect(poison.contains { $0.text == "this is not an event" })
            #expect(try store.deadLetters().count == 3)
        }
    }
}
