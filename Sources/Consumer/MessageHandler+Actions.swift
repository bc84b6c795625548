import BlobEvents
import Checkpoints
import Foundation
import Logging
import Processing
import StorageClient
import Synchronization

extension MessageHandler {
    // MARK: The claim

    /// Claims the blob version; when acquired, the rest of the message's life runs inside
    /// ``withClaim(_:_:_:)``.
    func admit(_ work: MessageWork) async -> StateMachine.Event? {
        guard let key = work.key, let item = work.item else { return .admissionFailed }
        let store = self.store
        let ttl = Duration.seconds(self.configuration.visibilityTimeout)
        let messageID = work.message.messageID
        let outcome: ClaimOutcome
        do {
            outcome = try await BlockingIO.run {
                try store.claim(key, ttl: ttl, eventID: item.eventID, messageID: messageID)
            }
        } catch {
            work.logger.error(
                "cannot use the checkpoint folder; the event will be retried",
                metadata: ["error": "\(error)"]
            )
            return .admissionFailed
        }
        switch outcome {
        case .finished:
            return .admitted(.finished)
        case .heldByOther(let owner, let expiresAt):
            let seconds = Int(expiresAt.timeIntervalSince(store.now).rounded(.up))
            work.logger.info(
                "blob version is being processed by \(owner); will look again later",
                metadata: ["expires_in": "\(seconds)"]
            )
            return .admitted(.heldByOther(seconds: seconds))
        case .acquired(let claim):
            await self.withClaim(claim, work) {
                await self.drive(.admitted(.acquired(attempt: claim.record.attempts, step: claim.record.step)), work)
            }
            return nil
        }
    }

    /// Runs `body` holding `claim`. However `body` ends, the claim is given up afterwards unless
    /// it was ended inside (kept beside a final record, or released with its error).
    func withClaim(_ claim: Claim, _ work: MessageWork, _ body: () async -> Void) async {
        work.claim.withLock { $0 = claim }
        work.record.withLock { $0 = claim.record }
        await body()
        if let forgotten = work.endClaim() {
            let store = self.store
            let progress = work.record.withLock { $0 }
            await BlockingIO.attempt { _ = try store.release(forgotten, progress: progress) }
        }
    }

    /// Gives the claim up with the progress as this attempt knows it (a step's note may still be
    /// on its way to the share).
    func releaseClaim(_ work: MessageWork, lastError: String?) async {
        guard let claim = work.endClaim() else { return }
        let store = self.store
        let progress = work.record.withLock { $0 }
        await BlockingIO.attempt { _ = try store.release(claim, lastError: lastError, progress: progress) }
    }

    /// Notes a step in the progress the final record will hold and, with `save`, in the claim, so
    /// a later attempt resumes after it. The processor goes on meanwhile: the claim is written in
    /// the background (a note is not flushed anyway, and the store applies notes cumulatively), and
    /// a release writes this attempt's whole progress, so a note still on its way loses nothing.
    func note(_ step: ProcessingStep, seconds: Double, save: Bool, _ work: MessageWork) async {
        self.statistics.recordStep(step.rawValue, seconds: seconds)
        guard let reached = CheckpointStep(rawValue: step.rawValue), let claim = work.claim.withLock({ $0 }) else {
            return
        }
        let store = self.store
        let change: @Sendable (inout CheckpointRecord) -> Void = {
            $0.complete(reached, took: .seconds(seconds), at: store.now)
        }
        work.record.withLock { if $0 != nil { change(&$0!) } }
        guard save else { return }
        BlockingIO.submit { _ = try? store.note(claim, change) }
    }

    // MARK: Final records

    /// Writes the completed record and waits for the shared flush that makes it durable.
    func finish(_ work: MessageWork, result: ProcessingResult, seconds: Double) async -> StateMachine.Event {
        guard let claim = work.claim.withLock({ $0 }), var record = work.record.withLock({ $0 }) else {
            return .finishFailed
        }
        let store = self.store
        record.complete(.completed, took: .seconds(seconds), at: store.now)
        record.timings["total"] = seconds
        record.outputs = result.outputs.map { CheckpointOutput(name: $0.name, size: $0.size, md5: $0.md5) }
        record.lastError = nil
        do {
            try await BlockingIO.run { [record] in
                try store.finish(claim, record: record)
                try store.flush()
            }
        } catch {
            work.logger.error(
                "could not checkpoint a completed event; it will be retried",
                metadata: ["error": "\(error)"]
            )
            return .finishFailed
        }
        _ = work.endClaim()  // kept beside the record
        return .finishSaved
    }

    /// Copies the original text to the poison queue (never expiring), records why (the dead
    /// letter, and the final record when a claim is held), then reports back; the state machine
    /// then deletes the original. A crash in between leaves a duplicate in the poison queue,
    /// never a loss.
    func deadLetter(
        _ work: MessageWork,
        reason: DeadLetterRecord.Reason,
        detail: String,
        attempts: Int
    ) async -> StateMachine.Event {
        let poisonQueue = self.poisonQueue
        let text = work.message.text
        do {
            try await Task.detached { _ = try await poisonQueue.sendMessage(text, timeToLive: -1) }.value
        } catch {
            work.logger.error(
                "could not copy a message to the poison queue; it stays in the work queue",
                metadata: ["error": "\(error)"]
            )
            return .deadLetterFailed
        }
        let store = self.store
        let deadLetter = DeadLetterRecord(
            key: work.key,
            reason: reason,
            message: detail,
            attempts: attempts,
            lastError: detail,
            messageText: text,
            messageID: work.message.messageID,
            eventID: work.item?.eventID,
            deadLetteredAt: store.now,
            replicaID: store.replicaID
        )
        let claim = work.claim.withLock { $0 }
        var record = work.record.withLock { $0 }
        record?.recordFailure(detail, at: store.now)
        record?.markDeadLettered(reason: reason.rawValue, at: store.now)
        do {
            try await BlockingIO.run { [record] in
                try store.saveDeadLetter(deadLetter)
                if let claim, let record {
                    try store.finish(claim, record: record)
                    try store.flush()
                }
            }
            if claim != nil { _ = work.endClaim() }
        } catch {
            work.logger.error(
                "could not write the dead-letter record (the poison queue has the message)",
                metadata: ["error": "\(error)"]
            )
        }
        self.statistics.recordDeadLettered(reason: reason.rawValue)
        work.logger.error("dead-lettered: \(detail)", metadata: ["reason": "\(reason)", "attempts": "\(attempts)"])
        return .deadLettered
    }

    // MARK: Queue actions (run even when the handler's task is being cancelled)

    /// Deletes the message: the event is fully handled.
    func acknowledge(_ lease: MessageLease, logger: Logger) async {
        let queue = self.queue
        await Task.detached {
            do {
                try await queue.deleteMessage(id: lease.messageID, popReceipt: lease.popReceipt)
            } catch let error as StorageError where error.isMessageGone {
                logger.warning("message was already gone when acknowledged (its lease had lapsed)")
            } catch {
                logger.error(
                    "could not delete a handled message; it will be delivered again and acknowledged as a duplicate",
                    metadata: ["error": "\(error)"]
                )
            }
        }.value
    }

    /// Makes the message visible again after `seconds` (0: at once, for another replica).
    func release(_ lease: MessageLease, after seconds: Int, logger: Logger) async {
        let queue = self.queue
        let statistics = self.statistics
        await Task.detached {
            do {
                _ = try await queue.updateMessage(
                    id: lease.messageID,
                    popReceipt: lease.popReceipt,
                    visibilityTimeout: max(0, seconds)
                )
                statistics.recordReleased()
            } catch {
                logger.warning(
                    "could not release a message; it reappears when its visibility timeout ends",
                    metadata: ["error": "\(error)"]
                )
            }
        }.value
    }
}
