import BlobEvents
import Checkpoints
import Foundation
import Logging
import StorageClient
import Synchronization
import Tracing

/// Takes one received message from decoding to acknowledgement: skip, dead-letter, or claim the
/// blob version, run the processor under a kept lease, checkpoint, and delete or release.
///
/// Every path ends with the message deleted (completed, skipped, duplicate, dead-lettered after
/// its copy reached the poison queue), made visible again later (a retryable failure, a version
/// another replica is working on), or left to whoever now holds it (lease lost).
struct MessageHandler: Sendable {
    let configuration: ConsumerConfiguration
    let accountName: String
    let filter: InputFilter
    let queue: QueueClient
    let poisonQueue: QueueClient
    let store: CheckpointStore
    let processor: any Processor
    let statistics: ConsumerStatistics
    let logger: Logger

    /// Handles one message inside its trace: a `blobflow.event` span with a child span per step
    /// (decode, claim, the processor's download, run and upload, acknowledge or dead-letter).
    func handle(_ message: ReceivedQueueMessage) async {
        await withSpan("blobflow.event", ofKind: .consumer) { span in
            span.attributes["messaging.system"] = "azure_storage_queue"
            span.attributes["messaging.message.id"] = message.messageID
            span.attributes["blobflow.dequeue_count"] = message.dequeueCount
            await self.handle(message, span: span)
        }
    }

    private func handle(_ message: ReceivedQueueMessage, span: any Span) async {
        self.statistics.recordReceived()
        let lease = MessageLease(messageID: message.messageID, popReceipt: message.popReceipt)
        var logger = self.logger
        logger[metadataKey: "message_id"] = "\(message.messageID)"
        logger[metadataKey: "dequeue_count"] = "\(message.dequeueCount)"

        let decoded = withSpan("decode") { _ in MessageDecoder.decode(message.text, filter: self.filter) }
        EventTracing.describe(decoded, on: span)
        switch decoded {
        case .skip(let reason, let eventID, let blob):
            logger.info("skipped event: \(reason.message)", metadata: [
                "reason": "\(reason.code)", "event_id": "\(eventID ?? "-")", "blob": "\(blob ?? "-")",
            ])
            self.statistics.recordSkipped(reason: reason.code)
            await self.acknowledge(lease, logger: logger)
        case .poison(let reason):
            logger.error("undecodable queue message sent to the poison queue: \(reason.message)", metadata: ["reason": "\(reason.code)"])
            await self.deadLetter(
                message: message, lease: lease, key: nil, eventID: nil, reason: .undecodableMessage,
                detail: "\(reason.code): \(reason.message)", attempts: message.dequeueCount, logger: logger
            )
        case .work(let item):
            logger[metadataKey: "event_id"] = "\(item.eventID)"
            logger[metadataKey: "blob"] = "\(item.container)/\(item.blobName)"
            await self.work(item, message: message, lease: lease, span: span, logger: logger)
        }
    }

    // MARK: Work

    private func work(_ item: BlobWorkItem, message: ReceivedQueueMessage, lease: MessageLease, span: any Span, logger: Logger) async {
        let key = CheckpointKey(account: self.accountName, container: item.container, blobName: item.blobName, eTag: item.eTag)
        var record: CheckpointRecord
        let claim: Claim
        enum Admission: Sendable {
            case alreadyDone(CheckpointStep)
            case heldByOther(owner: String, expiresAt: Date)
            case finishedMeanwhile
            case claimed(Claim, CheckpointRecord)
        }
        let store = self.store
        let ttl = Duration.seconds(self.configuration.visibilityTimeout)
        do {
            let admission = try await withSpan("claim") { _ in try await BlockingIO.run { () throws -> Admission in
                let existing = try store.load(key) { corruption in
                    logger.warning("checkpoint record was unreadable and was set aside", metadata: ["detail": "\(corruption)"])
                }
                if let existing, existing.step.isFinal { return .alreadyDone(existing.step) }
                let claim: Claim
                switch try store.claim(key, ttl: ttl) {
                case .acquired(let acquired):
                    claim = acquired
                case .heldByOther(let owner, let expiresAt):
                    return .heldByOther(owner: owner, expiresAt: expiresAt)
                }
                // Re-read under the claim: the previous holder may have finished in between.
                let latest = try store.load(key)
                if let latest, latest.step.isFinal {
                    _ = try? store.release(claim)
                    return .finishedMeanwhile
                }
                var record = latest ?? CheckpointRecord(key: key, eventID: item.eventID, messageID: message.messageID, replicaID: store.replicaID)
                record.attempts += 1
                record.eventID = item.eventID
                record.messageID = message.messageID
                record.replicaID = store.replicaID
                record.updatedAt = Date()
                do {
                    // A progress note: the attempt count survives a killed process; a host crash
                    // may lose one increment, never the event.
                    try store.save(record, durable: false)
                } catch {
                    _ = try? store.release(claim)
                    throw error
                }
                return .claimed(claim, record)
            } }
            switch admission {
            case .alreadyDone(let step):
                logger.info("duplicate event for a blob version already \(step); acknowledged without work")
                self.statistics.recordDuplicate()
                await self.acknowledge(lease, logger: logger)
                return
            case .heldByOther(let owner, let expiresAt):
                // Another replica is working on this version (a duplicate event, or our own
                // message after its lease lapsed). Look again once its claim could have expired,
                // or within a minute: the holder renews its claim while it works, but may finish
                // long before (then this copy is acknowledged as a duplicate).
                let wait = max(5, min(Int(expiresAt.timeIntervalSinceNow.rounded(.up)) + 1, self.configuration.visibilityTimeout, 60))
                logger.info("blob version is being processed by \(owner); will look again in \(wait) s")
                await self.release(lease, after: wait, logger: logger)
                return
            case .finishedMeanwhile:
                self.statistics.recordDuplicate()
                await self.acknowledge(lease, logger: logger)
                return
            case .claimed(let acquired, let saved):
                claim = acquired
                record = saved
                span.attributes["blobflow.attempt"] = saved.attempts
            }
        } catch {
            logger.error("cannot use the checkpoint folder; the event will be retried", metadata: ["error": "\(error)"])
            self.statistics.recordFailure(reason: "checkpoint-folder")
            await self.release(lease, after: Int(self.configuration.retryDelay(afterDelivery: message.dequeueCount).components.seconds), logger: logger)
            return
        }

        let workDirectory = self.configuration.workDirectory + "/" + key.digest
        let started = ContinuousClock.now
        let outcome = await self.run(item, record: record, lease: lease, claim: claim, workDirectory: workDirectory, logger: logger)
        let seconds = (ContinuousClock.now - started).seconds

        switch outcome {
        case .success(let result):
            let started = record
            do {
                record = try await BlockingIO.run {
                    var record = (try? store.load(key)) ?? started
                    record.step = .completed
                    record.outputs = result.outputs
                    record.timings["total"] = seconds
                    record.lastError = nil
                    record.updatedAt = Date()
                    try store.save(record)
                    return record
                }
            } catch {
                // Outputs are uploaded but the record could not be written: keep the message so a
                // later delivery re-runs (outputs are overwritten under the same names).
                logger.error("could not checkpoint a completed event; it will be retried", metadata: ["error": "\(error)"])
                await BlockingIO.attempt { _ = try store.release(claim) }
                await self.release(lease, after: Int(self.configuration.retryDelay.components.seconds), logger: logger)
                return
            }
            span.attributes["blobflow.outcome"] = "completed"
            span.attributes["blobflow.outputs"] = result.outputs.count
            self.statistics.recordCompleted(seconds: seconds)
            logger.info("completed", metadata: ["seconds": "\(seconds)", "outputs": "\(result.outputs.count)"])
            await self.acknowledge(lease, logger: logger)
            await BlockingIO.attempt {
                _ = try store.release(claim)
                try? FileManager.default.removeItem(atPath: workDirectory)
            }

        case .failure(let failure):
            let started = record
            record = (try? await BlockingIO.run {
                var record = (try? store.load(key)) ?? started
                record.lastError = failure.description
                record.updatedAt = Date()
                try? store.save(record, durable: false)
                return record
            }) ?? record
            self.statistics.recordFailure(reason: failure.reason)
            EventTracing.recordFailure(failure.reason, message: failure.description, on: span)
            if failure.reason == "lease-lost" {
                logger.warning("work abandoned: \(failure.message)")
                await BlockingIO.attempt { _ = try store.release(claim) }
                return
            }
            if failure.reason == "shutdown" {
                logger.notice("work interrupted by shutdown; released for another replica")
                await BlockingIO.attempt { _ = try store.release(claim) }
                await self.release(lease, after: 0, logger: logger)
                return
            }
            let exhausted = record.attempts >= self.configuration.maxDequeueCount
            if failure.kind == .permanent || exhausted {
                await self.deadLetter(
                    message: message, lease: lease, key: key, eventID: item.eventID,
                    reason: failure.kind == .permanent ? .permanentFailure : .dequeueLimitReached,
                    detail: failure.description, attempts: record.attempts, logger: logger
                )
                await BlockingIO.attempt { _ = try store.release(claim) }
                await BlockingIO.attempt { try FileManager.default.removeItem(atPath: workDirectory) }
            } else {
                let delay = Int(self.configuration.retryDelay(afterDelivery: record.attempts).components.seconds)
                logger.warning("attempt \(record.attempts) of \(self.configuration.maxDequeueCount) failed; retrying in \(delay) s: \(failure)")
                await BlockingIO.attempt { _ = try store.release(claim) }
                await self.release(lease, after: delay, logger: logger)
            }
        }
    }

    /// Runs the processor while the lease is kept, under the process timeout.
    private func run(
        _ item: BlobWorkItem, record: CheckpointRecord, lease: MessageLease, claim: Claim, workDirectory: String, logger: Logger
    ) async -> Result<ProcessingResult, ProcessingFailure> {
        let job = ProcessingJob(
            item: item, resumeFrom: record.step == .received ? nil : record.step.rawValue, attempt: record.attempts, workDirectory: workDirectory
        )
        let store = self.store
        let key = record.key
        let statistics = self.statistics
        let context = ProcessingContext(logger: logger) { step, seconds in
            statistics.recordStep(step, seconds: seconds)
            await BlockingIO.attempt {
                guard let reached = CheckpointStep(rawValue: step), var current = try? store.load(key) else { return }
                if reached > current.step { current.step = reached }
                current.timings[step] = seconds
                current.updatedAt = Date()
                try store.save(current, durable: false)
            }
        }
        let keeper = LeaseKeeper(queue: self.queue, visibilityTimeout: self.configuration.visibilityTimeout, logger: logger)
        let claimTTL = Duration.seconds(self.configuration.visibilityTimeout)
        let processor = self.processor
        let timeout = self.configuration.processTimeout

        enum Finished: Sendable {
            case processed(Result<ProcessingResult, ProcessingFailure>)
            case leaseLost(String)
            case timedOut
        }
        return await withTaskGroup(of: Finished?.self) { group in
            group.addTask {
                do {
                    return .processed(.success(try await processor.process(job, context: context)))
                } catch let failure as ProcessingFailure {
                    return .processed(.failure(failure))
                } catch is CancellationError {
                    return nil
                } catch {
                    return .processed(.failure(ProcessingFailure(.retryable, reason: "error", message: "\(error)")))
                }
            }
            group.addTask {
                do {
                    try await keeper.keep(lease) {
                        statistics.recordLeaseRenewal()
                        // Only `false` means the claim is gone; an error (a busy lock, a share
                        // that did not answer) leaves it as it was until the next renewal.
                        if (try? await BlockingIO.run { try store.renew(claim, ttl: claimTTL) }) == false {
                            throw LeaseLost(messageID: lease.messageID, detail: "the checkpoint claim was taken over")
                        }
                    }
                    return nil
                } catch {
                    return .leaseLost("\(error)")
                }
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return .timedOut
                } catch {
                    return nil
                }
            }
            var outcome: Result<ProcessingResult, ProcessingFailure>?
            while let finished = await group.next() {
                switch finished {
                case .processed(let result):
                    outcome = result
                case .leaseLost(let detail):
                    outcome = .failure(ProcessingFailure(.retryable, reason: "lease-lost", message: detail))
                case .timedOut:
                    outcome = .failure(ProcessingFailure(.retryable, reason: "timeout", message: "processing took longer than \(timeout)"))
                case nil:
                    if outcome == nil, Task.isCancelled {
                        outcome = .failure(ProcessingFailure(.retryable, reason: "shutdown", message: "cancelled by shutdown"))
                    }
                    continue
                }
                group.cancelAll()
                break
            }
            group.cancelAll()
            while await group.next() != nil {}
            return outcome ?? .failure(ProcessingFailure(.retryable, reason: "shutdown", message: "cancelled by shutdown"))
        }
    }

    // MARK: Queue actions (run even when the handler's task is being cancelled)

    /// Deletes the message: the event is fully handled.
    private func acknowledge(_ lease: MessageLease, logger: Logger) async {
        let queue = self.queue
        let context = ServiceContext.current ?? .topLevel
        await Task.detached {
            await withSpan("acknowledge", context: context) { _ in
            do {
                try await queue.deleteMessage(id: lease.messageID, popReceipt: lease.popReceipt)
            } catch let error as StorageError where error.isMessageGone {
                logger.warning("message was already gone when acknowledged (its lease had lapsed)")
            } catch {
                logger.error("could not delete a handled message; it will be delivered again and acknowledged as a duplicate", metadata: ["error": "\(error)"])
            }
            }
        }.value
    }

    /// Makes the message visible again after `seconds` (0: at once, for another replica).
    private func release(_ lease: MessageLease, after seconds: Int, logger: Logger) async {
        let queue = self.queue
        let statistics = self.statistics
        await Task.detached {
            do {
                _ = try await queue.updateMessage(id: lease.messageID, popReceipt: lease.popReceipt, visibilityTimeout: max(0, seconds))
                statistics.recordReleased()
            } catch {
                logger.warning("could not release a message; it reappears when its visibility timeout ends", metadata: ["error": "\(error)"])
            }
        }.value
    }

    /// Copies the original text to the poison queue (never expiring), records why, then deletes
    /// the original. A crash between the two leaves a duplicate in the poison queue, never a loss.
    private func deadLetter(
        message: ReceivedQueueMessage, lease: MessageLease, key: CheckpointKey?, eventID: String?,
        reason: DeadLetterRecord.Reason, detail: String, attempts: Int, logger: Logger
    ) async {
        await withSpan("dead-letter") { span in
            span.attributes["blobflow.dead_letter_reason"] = reason.rawValue
            await self.moveToPoisonQueue(
                message: message, lease: lease, key: key, eventID: eventID, reason: reason, detail: detail, attempts: attempts, logger: logger
            )
        }
    }

    private func moveToPoisonQueue(
        message: ReceivedQueueMessage, lease: MessageLease, key: CheckpointKey?, eventID: String?,
        reason: DeadLetterRecord.Reason, detail: String, attempts: Int, logger: Logger
    ) async {
        let poisonQueue = self.poisonQueue
        do {
            try await Task.detached { _ = try await poisonQueue.sendMessage(message.text, timeToLive: -1) }.value
        } catch {
            logger.error("could not copy a message to the poison queue; it stays in the work queue", metadata: ["error": "\(error)"])
            await self.release(lease, after: Int(self.configuration.retryDelay.components.seconds), logger: logger)
            return
        }
        let record = DeadLetterRecord(
            key: key, reason: reason, message: detail, attempts: attempts, lastError: detail, messageText: message.text,
            messageID: message.messageID, eventID: eventID, deadLetteredAt: Date(), replicaID: self.store.replicaID
        )
        let store = self.store
        do {
            try await BlockingIO.run {
                try store.saveDeadLetter(record)
                if let key, var checkpoint = try store.load(key) {
                    checkpoint.step = .deadLettered
                    checkpoint.deadLetterReason = reason.rawValue
                    checkpoint.lastError = detail
                    checkpoint.updatedAt = Date()
                    try store.save(checkpoint)
                }
            }
        } catch {
            logger.error("could not write the dead-letter record (the poison queue has the message)", metadata: ["error": "\(error)"])
        }
        self.statistics.recordDeadLettered(reason: reason.rawValue)
        logger.error("dead-lettered: \(detail)", metadata: ["reason": "\(reason)", "attempts": "\(attempts)"])
        await self.acknowledge(lease, logger: logger)
    }
}

extension Duration {
    /// The duration in seconds, fractional.
    var seconds: Double {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }
}
