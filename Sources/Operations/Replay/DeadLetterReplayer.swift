public import BlobEvents
public import Checkpoints
public import Foundation
public import Logging
public import StorageClient

/// Puts dead letters back to work: moves messages from the poison queue to the work queue, resets
/// the checkpoints of their blob versions and removes their dead-letter records. This is
/// `blobflow --replay-dead-letters`.
///
/// ```swift
/// let replayer = DeadLetterReplayer(
///     queue: pipeline.queue("blobflow-events"), poisonQueue: pipeline.queue("blobflow-events-poison"),
///     store: store, inputFilter: filter, logger: logger
/// )
/// let report = try await replayer.replay(filter: ReplayFilter(blobPattern: "input/scans/*"), dryRun: true)
/// print(report.table())
/// ```
///
/// For each message that matches, in this order:
///
/// 1. the blob version's checkpoint is reset (``CheckpointStore/resetForReplay(_:)``), so that a
///    consumer receiving the event a moment later does not take it for a duplicate of a
///    dead-lettered version; a version already `completed` is left alone, and the consumer will
///    acknowledge the event as a duplicate;
/// 2. the exact message text is sent to the work queue, never expiring;
/// 3. the message is deleted from the poison queue;
/// 4. its dead-letter record is removed.
///
/// A crash between two steps leaves a duplicate or a stale record, never a lost event: a message
/// in both queues is processed once (the consumer recognises the second copy), and running the
/// replay again finishes the job.
///
/// Messages that do not match, and every message in a dry run, are made visible again at the end.
/// They stay hidden from other readers of the poison queue while the replay runs (up to
/// ``visibilityTimeout`` seconds from when each batch was received). On a replay longer than that
/// timeout, messages already looked at reappear: the replay then stops receiving, says so in the
/// report's notes, and running it again handles the rest.
public struct DeadLetterReplayer: Sendable {
    /// The work queue the consumer reads.
    public let queue: QueueClient
    /// The poison queue the consumer dead-letters into.
    public let poisonQueue: QueueClient
    /// The checkpoint folder.
    public let store: CheckpointStore
    /// The consumer's input filter, used only to read event ids and blob versions from messages;
    /// a message it would skip is replayed like any other.
    public let inputFilter: InputFilter
    /// Seconds that received poison messages stay hidden while the replay looks at them.
    public let visibilityTimeout: Int
    /// Messages received per request (1...32).
    public let batchSize: Int

    let logger: Logger
    let clock: @Sendable () -> Date

    /// Creates a replayer.
    ///
    /// - Parameters:
    ///   - queue: The work queue.
    ///   - poisonQueue: The poison queue.
    ///   - store: The checkpoint folder the consumer uses.
    ///   - inputFilter: The consumer's input filter (its `accountName` is part of each blob
    ///     version's checkpoint key, so it must be the consumer's).
    ///   - visibilityTimeout: Seconds a received poison message stays hidden; 120 by default.
    ///   - batchSize: Messages received per request, 1...32; 32 by default.
    ///   - logger: Where each move and failure is logged.
    ///   - clock: The current time, for dead-letter ages; tests move it.
    public init(
        queue: QueueClient,
        poisonQueue: QueueClient,
        store: CheckpointStore,
        inputFilter: InputFilter,
        visibilityTimeout: Int = 120,
        batchSize: Int = 32,
        logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.queue = queue
        self.poisonQueue = poisonQueue
        self.store = store
        self.inputFilter = inputFilter
        self.visibilityTimeout = max(1, visibilityTimeout)
        self.batchSize = min(32, max(1, batchSize))
        self.logger = logger
        self.clock = clock
    }

    /// Replays the dead letters that match `filter`, or with `dryRun` only reports which would be.
    ///
    /// A failure on one message is recorded in its row and does not stop the others. Throws when
    /// the replay cannot run at all: the work queue does not exist (``OperationsError``), the
    /// checkpoint folder cannot be read, or the poison queue stops answering (messages already
    /// looked at are made visible again first). A poison queue that does not exist is reported as
    /// empty, with a note.
    public func replay(filter: ReplayFilter = ReplayFilter(), dryRun: Bool) async throws -> ReplayReport {
        if !dryRun {
            try await self.requireWorkQueue()
        }
        let records = DeadLetterIndex(
            try self.store.deadLetters { corruption in
                self.logger.warning(
                    "a dead-letter record was unreadable and was set aside",
                    metadata: ["detail": "\(corruption)"]
                )
            }
        )
        var rows: [ReplayReport.Row] = []
        var notes: [String] = []
        // Messages still in the poison queue, by id: the latest pop receipt, to show them again.
        var hidden: [String: String] = [:]
        var seen: Set<String> = []
        var selected = 0

        do {
            receiving: while true {
                if Task.isCancelled {
                    notes.append("the replay was interrupted; run it again for the messages it did not reach")
                    break
                }
                let batch: [ReceivedQueueMessage]
                do {
                    batch = try await self.poisonQueue.receiveMessages(
                        maxMessages: self.batchSize,
                        visibilityTimeout: self.visibilityTimeout
                    )
                } catch let error as StorageError where error.isNotFound && seen.isEmpty {
                    notes.append(
                        "the poison queue '\(self.poisonQueue.name)' does not exist, so there is nothing to replay"
                    )
                    break receiving
                }
                if batch.isEmpty { break }
                var sawNewMessage = false
                for message in batch {
                    guard seen.insert(message.messageID).inserted else {
                        // Seen before: its visibility timeout ran out and it was received again.
                        if hidden[message.messageID] != nil { hidden[message.messageID] = message.popReceipt }
                        continue
                    }
                    sawNewMessage = true
                    let candidate = DeadLetterCandidate(
                        message,
                        inputFilter: self.inputFilter,
                        records: records,
                        now: self.clock()
                    )
                    let matches = filter.matches(
                        eventID: candidate.eventID,
                        container: candidate.container,
                        blobName: candidate.blobName,
                        age: candidate.age
                    )
                    guard matches else {
                        rows.append(candidate.row(.skippedFilter))
                        hidden[message.messageID] = message.popReceipt
                        continue
                    }
                    if let limit = filter.limit, selected >= limit {
                        rows.append(candidate.row(.skippedLimit))
                        hidden[message.messageID] = message.popReceipt
                        continue
                    }
                    selected += 1
                    if dryRun {
                        rows.append(candidate.row(.wouldMove))
                        hidden[message.messageID] = message.popReceipt
                        continue
                    }
                    let moved = await self.move(candidate)
                    rows.append(candidate.row(moved.action, note: moved.note))
                    if !moved.deleted { hidden[message.messageID] = message.popReceipt }
                }
                if !sawNewMessage {
                    notes.append(
                        "the replay took longer than the \(self.visibilityTimeout) s visibility timeout and met messages it had "
                            + "already seen, so it stopped; run it again for any it did not reach"
                    )
                    break
                }
            }
        } catch {
            _ = await self.show(hidden)
            throw error
        }

        let notShown = await self.show(hidden)
        if notShown > 0 {
            notes.append(
                "\(notShown) message(s) could not be made visible again at once; they reappear in the poison queue "
                    + "within \(self.visibilityTimeout) s"
            )
        }
        let report = ReplayReport(
            dryRun: dryRun,
            queue: self.queue.name,
            poisonQueue: self.poisonQueue.name,
            rows: rows,
            notes: notes
        )
        self.logger.notice("\(report.summary)", metadata: ["dry_run": "\(dryRun)"])
        return report
    }

    // MARK: Moving one message

    /// Resets the checkpoint, sends the text to the work queue, deletes the poison copy and removes
    /// the dead-letter record; stops at the first step that fails.
    private func move(
        _ candidate: DeadLetterCandidate
    ) async -> (action: ReplayReport.Action, deleted: Bool, note: String?) {
        let message = candidate.message
        var logger = self.logger
        logger[metadataKey: "message_id"] = "\(message.messageID)"
        if let eventID = candidate.eventID { logger[metadataKey: "event_id"] = "\(eventID)" }
        if let blob = candidate.blob { logger[metadataKey: "blob"] = "\(blob)" }
        var notes: [String] = []

        if let key = candidate.key {
            do {
                if let record = try self.store.load(
                    key,
                    onCorruption: { corruption in
                        logger.warning(
                            "checkpoint record was unreadable and was set aside",
                            metadata: ["detail": "\(corruption)"]
                        )
                    }
                ) {
                    if record.step == .completed {
                        notes.append(
                            "the blob version is already completed; the consumer will acknowledge the event as a duplicate"
                        )
                    } else {
                        try self.store.resetForReplay(key)
                    }
                }
            } catch {
                logger.error("could not reset the checkpoint; the dead letter stays", metadata: ["error": "\(error)"])
                return (.failed("cannot reset the checkpoint: \(error)"), false, nil)
            }
        }

        do {
            _ = try await self.queue.sendMessage(message.text, timeToLive: -1)
        } catch {
            logger.error(
                "could not send a dead letter to the work queue; it stays in the poison queue",
                metadata: ["error": "\(error)"]
            )
            return (.failed("cannot send to the work queue: \(error)"), false, nil)
        }

        do {
            try await self.poisonQueue.deleteMessage(id: message.messageID, popReceipt: message.popReceipt)
        } catch let error as StorageError where error.isMessageGone {
            // Our receipt went stale: someone else received the message after its timeout.
            notes.append(
                "the poison copy had been received by someone else, so it may be replayed twice (the consumer treats the second as a duplicate)"
            )
        } catch {
            logger.error(
                "sent to the work queue but could not be deleted from the poison queue",
                metadata: ["error": "\(error)"]
            )
            return (
                .failed(
                    "sent to the work queue, but cannot delete it from the poison queue (it is in both; the consumer treats the second copy as a duplicate): \(error)"
                ),
                false, nil
            )
        }

        if let record = candidate.record {
            do {
                try self.store.removeDeadLetter(record)
            } catch {
                logger.warning(
                    "replayed, but the dead-letter record could not be removed",
                    metadata: ["error": "\(error)"]
                )
                notes.append("the dead-letter record could not be removed: \(error)")
            }
        }
        logger.info("dead letter replayed to the work queue")
        return (.moved, true, notes.isEmpty ? nil : notes.joined(separator: "; "))
    }

    // MARK: Queue helpers

    /// Throws a clear error when the work queue does not exist, rather than one failure per message.
    func requireWorkQueue() async throws {
        do {
            _ = try await self.queue.properties()
        } catch let error as StorageError where error.isNotFound {
            throw OperationsError.queueNotFound(self.queue.name)
        }
    }

    /// Makes the messages visible in the poison queue again at once, a few at a time, even when
    /// the replay is being cancelled. Returns how many could not be.
    private func show(_ hidden: [String: String]) async -> Int {
        guard !hidden.isEmpty else { return 0 }
        let poisonQueue = self.poisonQueue
        let logger = self.logger
        let messages = hidden.sorted { $0.key < $1.key }
        return await Task.detached {
            var failures = 0
            for start in stride(from: 0, to: messages.count, by: 8) {
                failures += await withTaskGroup(of: Int.self) { group in
                    for (id, popReceipt) in messages[start..<min(start + 8, messages.count)] {
                        group.addTask {
                            do {
                                _ = try await poisonQueue.updateMessage(
                                    id: id,
                                    popReceipt: popReceipt,
                                    visibilityTimeout: 0
                                )
                                return 0
                            } catch {
                                logger.warning(
                                    "could not make a dead letter visible again; it reappears when its visibility timeout ends",
                                    metadata: ["message_id": "\(id)", "error": "\(error)"]
                                )
                                return 1
                            }
                        }
                    }
                    return await group.reduce(0, +)
                }
            }
            return failures
        }.value
    }
}
