import BlobEvents
import Checkpoints
import Foundation
import Logging
import Processing
import StorageClient
import Synchronization
import Tracing

/// Takes one received message from decoding to acknowledgement. The decisions are the state
/// machine's (``MessageHandler/StateMachine``); this driver performs its actions (claim, process,
/// save, acknowledge, release, dead-letter) and feeds back what happened.
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
        var logger = self.logger
        logger[metadataKey: "message_id"] = "\(message.messageID)"
        logger[metadataKey: "dequeue_count"] = "\(message.dequeueCount)"
        let machine = StateMachine(configuration: self.configuration, dequeueCount: message.dequeueCount)

        let decoded = withSpan("decode") { _ in MessageDecoder.decode(message.text, filter: self.filter) }
        EventTracing.describe(decoded, on: span)
        switch decoded {
        case .skip(let reason, let eventID, let blob):
            logger.info(
                "skipped event: \(reason.message)",
                metadata: [
                    "reason": "\(reason.code)", "event_id": "\(eventID ?? "-")", "blob": "\(blob ?? "-")",
                ]
            )
            await self.drive(
                .skipped(code: reason.code),
                MessageWork(message, item: nil, key: nil, machine: machine, span: span, logger: logger)
            )
        case .poison(let reason):
            logger.error(
                "undecodable queue message sent to the poison queue: \(reason.message)",
                metadata: ["reason": "\(reason.code)"]
            )
            let work = MessageWork(message, item: nil, key: nil, machine: machine, span: span, logger: logger)
            await self.drive(.undecodable(detail: "\(reason.code): \(reason.message)"), work)
        case .work(let item):
            logger[metadataKey: "event_id"] = "\(item.eventID)"
            logger[metadataKey: "blob"] = "\(item.container)/\(item.blobName)"
            let key = CheckpointKey(
                account: self.accountName,
                container: item.container,
                blobName: item.blobName,
                eTag: item.eTag
            )
            await self.drive(
                .decoded,
                MessageWork(message, item: item, key: key, machine: machine, span: span, logger: logger)
            )
        }
    }

    /// Feeds `event` to the message's state machine and performs the actions it returns; an
    /// action's outcome is fed back before the next action runs.
    func drive(_ event: StateMachine.Event, _ work: MessageWork) async {
        let actions = work.machine.withLock { $0.receive(event) }
        for action in actions {
            if let next = await self.perform(action, work) {
                await self.drive(next, work)
            }
        }
    }

    private func perform(_ action: StateMachine.Action, _ work: MessageWork) async -> StateMachine.Event? {
        switch action {
        case .claim:
            return await withSpan("claim") { _ in await self.admit(work) }
        case .process(let resumeFrom, let attempt):
            work.span.attributes["blobflow.attempt"] = attempt
            return await self.process(work, resumeFrom: resumeFrom, attempt: attempt)
        case .noteStep(let step, let seconds, let save):
            await self.note(step, seconds: seconds, save: save, work)
            return nil
        case .finish(let result, let seconds):
            return await self.finish(work, result: result, seconds: seconds)
        case .deadLetter(let reason, let detail, let attempts):
            work.span.attributes["blobflow.outcome"] = "dead-lettered"
            return await withSpan("dead-letter") { span in
                span.attributes["blobflow.dead_letter_reason"] = reason.rawValue
                return await self.deadLetter(work, reason: reason, detail: detail, attempts: attempts)
            }
        case .acknowledge(let acknowledgement):
            self.count(acknowledgement, work)
            await withSpan("acknowledge") { _ in await self.acknowledge(work.lease, logger: work.logger) }
            return nil
        case .releaseMessage(let seconds):
            await self.release(work.lease, after: seconds, logger: work.logger)
            return nil
        case .releaseClaim(let lastError):
            await self.releaseClaim(work, lastError: lastError)
            return nil
        case .removeWorkDirectory:
            if self.processor.usesWorkDirectory, let key = work.key {
                let folder = self.workDirectory(key)
                await BlockingIO.attempt { try? FileManager.default.removeItem(atPath: folder) }
            }
            return nil
        case .countFailure(let reason):
            self.statistics.recordFailure(reason: reason.code)
            EventTracing.recordFailure(reason.code, message: "an attempt failed: \(reason.code)", on: work.span)
            return nil
        }
    }

    private func count(_ acknowledgement: StateMachine.Acknowledgement, _ work: MessageWork) {
        let logger = work.logger
        switch acknowledgement {
        case .skipped(let code):
            self.statistics.recordSkipped(reason: code)
        case .duplicate:
            logger.info("duplicate event for a blob version already finished; acknowledged without work")
            work.span.attributes["blobflow.outcome"] = "duplicate"
            self.statistics.recordDuplicate()
        case .completed(let seconds, let outputs):
            work.span.attributes["blobflow.outcome"] = "completed"
            work.span.attributes["blobflow.outputs"] = outputs
            self.statistics.recordCompleted(seconds: seconds)
            logger.info("completed", metadata: ["seconds": "\(seconds)", "outputs": "\(outputs)"])
        case .deadLettered:
            break
        }
    }

    func workDirectory(_ key: CheckpointKey) -> String {
        self.configuration.workDirectory + "/" + key.digest
    }
}

/// One message being handled: what was decoded, its lease, its state machine and the claim held
/// for it.
final class MessageWork: Sendable {
    let message: ReceivedQueueMessage
    let lease: MessageLease
    let item: BlobWorkItem?
    let key: CheckpointKey?
    let logger: Logger
    /// The message's `blobflow.event` span, for what the trace says about the outcome.
    let span: any Span
    let machine: Mutex<MessageHandler.StateMachine>
    /// The claim while held; `nil` before and after.
    let claim = Mutex<Claim?>(nil)
    /// The progress, as the claim holds it plus what this attempt added.
    let record = Mutex<CheckpointRecord?>(nil)

    init(
        _ message: ReceivedQueueMessage,
        item: BlobWorkItem?,
        key: CheckpointKey?,
        machine: MessageHandler.StateMachine,
        span: any Span,
        logger: Logger
    ) {
        self.message = message
        self.lease = MessageLease(messageID: message.messageID, popReceipt: message.popReceipt)
        self.item = item
        self.key = key
        self.logger = logger
        self.span = span
        self.machine = Mutex(machine)
    }

    /// Takes the claim out (it is ended: kept beside a final record, or released by the caller).
    func endClaim() -> Claim? {
        self.claim.withLock { claim in
            defer { claim = nil }
            return claim
        }
    }
}
