import DevStorage
import DevStorageTesting
import StorageClient
import StorageHTTP
import Testing

@Suite("Retries against injected faults")
struct RetryTests {
    /// Short waits so a thousand operations with a fifth of them failing finish in seconds; the
    /// per-try limit leaves room for a loaded machine, and still ends a hang early.
    static let quickRetries = RetryPolicy(
        maxAttempts: 10,
        initialDelay: .milliseconds(5),
        maxDelay: .milliseconds(100),
        perTryTimeout: .seconds(2)
    )

    @Test("with 20% of requests failing, every one of 1,000 operations succeeds", .timeLimit(.minutes(3)))
    func thousandOperationsUnderFaults() async throws {
        try await withDevStorage(configure: { configuration in
            configuration.faults = FaultPlan(
                rate: 0.2,
                kinds: [.internalError, .serverBusy, .drop, .hang],
                hangSeconds: 5,
                retryAfterSeconds: 0,
                seed: 42
            )
        }) { endpoints in
            let pipeline = StoragePipeline(
                account: try StorageAccount(connectionString: endpoints.connectionString()),
                http: try CurlTransport(),
                retry: Self.quickRetries
            )
            let queue = pipeline.queue("faults")
            let container = pipeline.container("faults")
            try await queue.createIfNotExists()
            try await container.createIfNotExists()
            let succeeded = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<20 {
                    group.addTask {
                        // 50 operations per worker, 1,000 in all, cycling through five kinds.
                        for step in 0..<10 {
                            let name = "w\(worker)/s\(step).txt"
                            let bytes = Array("worker \(worker) step \(step)".utf8)
                            try await queue.sendMessage("m-\(worker)-\(step)")
                            try await container.blob(name).upload(bytes)
                            #expect(try await container.blob(name).downloadBytes() == bytes)
                            _ = try await queue.properties()
                            try await container.blob(name).deleteIfExists()
                        }
                        return 50
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(succeeded == 1000)
        }
    }

    @Test("with the server down, a clear error after the bounded retries")
    func serverDown() async throws {
        let account = StorageAccount.development(blobPort: 1, queuePort: 1)
        let pipeline = StoragePipeline(
            account: account,
            http: try CurlTransport(),
            retry: RetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(10), maxDelay: .milliseconds(50))
        )
        do {
            _ = try await pipeline.queue("q").receiveMessages(visibilityTimeout: 30)
            Issue.record("expected an error")
        } catch let error as StorageError {
            #expect(error.attempts == 4)
            #expect(error.isTransient)
            #expect(error.operation == "GetMessages")
            #expect("\(error)".contains("127.0.0.1:1"))
            #expect("\(error)".contains("after 4 attempts"))
        }
        // Bounded is what the four attempts above show; a time limit here would fail whenever
        // a loaded machine stalls the test, which says nothing about the retries.
    }

    @Test("a 503 with Retry-After is honoured, and a 4xx is not retried")
    func statusHandling() async throws {
        try await withDevStorage(configure: { configuration in
            configuration.faults = FaultPlan(
                rate: 1,
                kinds: [.serverBusy],
                operations: ["GetQueueMetadata"],
                retryAfterSeconds: 1,
                seed: 1
            )
        }) { endpoints in
            let pipeline = StoragePipeline(
                account: try StorageAccount(connectionString: endpoints.connectionString()),
                http: try CurlTransport(),
                retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(1), maxDelay: .seconds(5))
            )
            let queue = pipeline.queue("busy")
            try await queue.createIfNotExists()
            let started = ContinuousClock.now
            await #expect { _ = try await queue.properties() } throws: { error in
                guard let error = error as? StorageError else { return false }
                return error.status == 503 && error.errorCode == "ServerBusy" && error.attempts == 2
                    && error.requestID != nil
            }
            #expect(ContinuousClock.now - started >= .milliseconds(900))

            await #expect { try await pipeline.queue("missing").deleteMessage(id: "x", popReceipt: "y") } throws: {
                error in
                guard let error = error as? StorageError else { return false }
                return error.status == 404 && error.attempts == 1 && error.isMessageGone
            }
        }
    }
}
