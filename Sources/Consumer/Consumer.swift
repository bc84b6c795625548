import BlobEvents
public import Checkpoints
public import Logging
public import Processing
public import ServiceLifecycle
public import StorageClient
import Synchronization

/// The daemon: polls the work queue, hands each message to a ``MessageHandler`` with at most
/// ``ConsumerConfiguration/concurrency`` in flight, and shuts down gracefully.
///
/// Polling asks for only as many messages as there are free slots, and only when at least
/// ``ConsumerConfiguration/refillThreshold`` are free, so a slow processor never makes it hold
/// messages it cannot start (their visibility would run out while they wait). An empty queue is
/// polled less and less often, up to ``ConsumerConfiguration/maxPollInterval``.
///
/// On graceful shutdown (SIGTERM, SIGINT) it stops polling, lets in-flight work finish within
/// ``ConsumerConfiguration/shutdownGracePeriod``, then cancels what remains, which releases those
/// messages at once (visibility 0) so another replica takes them now.
public final class Consumer: Service {
    private let configuration: ConsumerConfiguration
    private let queue: QueueClient
    private let poisonQueue: QueueClient
    private let handler: MessageHandler
    private let logger: Logger
    /// What the consumer has done so far.
    public let statistics: ConsumerStatistics
    private let wakeUp = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let stopping = Atomic<Bool>(false)
    /// The receive in progress, cancelled by ``stop()``: with storage unreachable it may be
    /// retrying for minutes, and shutdown must not wait for it.
    private let poll = Mutex<Task<[ReceivedQueueMessage], any Error>?>(nil)

    /// Creates a consumer over an account's queues and a checkpoint store.
    public init(
        configuration: ConsumerConfiguration,
        pipeline: StoragePipeline,
        store: CheckpointStore,
        processor: any Processor,
        logger: Logger,
        statistics: ConsumerStatistics = ConsumerStatistics()
    ) {
        self.configuration = configuration
        self.queue = pipeline.queue(configuration.queueName)
        self.poisonQueue = pipeline.queue(configuration.poisonQueueName)
        self.logger = logger
        self.statistics = statistics
        let filter = InputFilter(
            accountName: pipeline.account.name,
            container: configuration.inputContainer,
            prefix: configuration.inputPrefix,
            excludedPrefixes: [(configuration.outputContainer, configuration.outputPrefix)],
            blobEndpointHost: pipeline.account.blobEndpointHost
        )
        self.handler = MessageHandler(
            configuration: configuration,
            accountName: pipeline.account.name,
            filter: filter,
            queue: self.queue,
            poisonQueue: self.poisonQueue,
            store: store,
            processor: processor,
            statistics: statistics,
            logger: logger
        )
    }

    public func run() async throws {
        try await self.queue.createIfNotExists()
        try await self.poisonQueue.createIfNotExists()
        self.statistics.markReady(true)
        defer { self.statistics.markReady(false) }
        self.logger.info(
            "consuming",
            metadata: [
                "queue": "\(self.configuration.queueName)", "concurrency": "\(self.configuration.concurrency)",
                "batch_size": "\(self.configuration.batchSize)",
                "visibility_timeout": "\(self.configuration.visibilityTimeout)",
            ]
        )
        try await withGracefulShutdownHandler {
            try await self.consume()
        } onGracefulShutdown: {
            self.statistics.markReady(false)
            self.stop()
        }
        self.logger.info("stopped", metadata: self.statistics.snapshot.mapValues { "\($0)" })
    }

    /// Stops polling; in-flight work finishes within the grace period.
    public func stop() {
        self.stopping.store(true, ordering: .sequentiallyConsistent)
        self.poll.withLock { $0?.cancel() }
        self.wake()
    }

    /// Receives up to `count` messages; cancelled at once when shutdown begins.
    private func receive(_ count: Int) async throws -> [ReceivedQueueMessage] {
        let queue = self.queue
        let visibility = self.configuration.visibilityTimeout
        let task = Task { try await queue.receiveMessages(maxMessages: count, visibilityTimeout: visibility) }
        self.poll.withLock { $0 = task }
        defer { self.poll.withLock { $0 = nil } }
        if self.stopping.load(ordering: .sequentiallyConsistent) { task.cancel() }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    private func wake() {
        let continuation = self.wakeUp.withLock { value in
            defer { value = nil }
            return value
        }
        continuation?.resume()
    }

    /// Sleeps until `duration` passes, a slot frees up, or shutdown begins.
    private func pause(_ duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.wakeUp.withLock { value -> Bool in
                        if self.stopping.load(ordering: .sequentiallyConsistent) { return true }
                        value?.resume()
                        value = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: duration) }
            await group.next()
            self.wake()
            group.cancelAll()
        }
    }

    private func consume() async throws {
        var backoff = PollBackoff(
            minimum: self.configuration.minPollInterval,
            maximum: self.configuration.maxPollInterval
        )
        var idleSince = ContinuousClock.now
        let statistics = self.statistics
        let handler = self.handler
        let grace = self.configuration.shutdownGracePeriod

        await withDiscardingTaskGroup { group in
            while !self.stopping.load(ordering: .sequentiallyConsistent) {
                let free = self.configuration.concurrency - statistics.inFlight.load(ordering: .sequentiallyConsistent)
                if free < self.configuration.refillThreshold {
                    await self.pause(.milliseconds(250))
                    continue
                }
                let messages: [ReceivedQueueMessage]
                do {
                    messages = try await self.receive(min(32, self.configuration.batchSize, free))
                } catch  where self.stopping.load(ordering: .sequentiallyConsistent) {
                    break  // shutting down: the receive was cancelled
                } catch {
                    statistics.recordPoll(result: "error")
                    self.logger.error("polling the queue failed; will try again", metadata: ["error": "\(error)"])
                    await self.pause(backoff.miss())
                    continue
                }
                if messages.isEmpty {
                    statistics.recordPoll(result: "empty")
                    if let idle = self.configuration.exitWhenIdle, statistics.inFlight.load(ordering: .relaxed) == 0,
                        ContinuousClock.now - idleSince >= idle
                    {
                        self.logger.info("the queue has been empty for \(idle); exiting")
                        break
                    }
                    await self.pause(backoff.miss())
                    continue
                }
                statistics.recordPoll(result: "messages")
                idleSince = ContinuousClock.now
                _ = backoff.hit()
                for message in messages {
                    statistics.began()
                    group.addTask {
                        await handler.handle(message)
                        statistics.ended()
                        self.wake()
                    }
                }
                await self.pause(self.configuration.minPollInterval)
            }

            // Shutdown: give in-flight work its grace period, then cancel (which releases it).
            guard statistics.inFlight.load(ordering: .sequentiallyConsistent) > 0 else { return }
            self.logger.notice(
                "shutting down; waiting up to \(grace) for \(statistics.inFlight.load(ordering: .relaxed)) events in flight"
            )
            let deadline = ContinuousClock.now + grace
            while statistics.inFlight.load(ordering: .sequentiallyConsistent) > 0, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(50))
            }
            if statistics.inFlight.load(ordering: .sequentiallyConsistent) > 0 {
                self.logger.notice(
                    "grace period over; releasing \(statistics.inFlight.load(ordering: .relaxed)) unfinished events to other replicas"
                )
                group.cancelAll()
            }
        }
    }
}
