public import BlobEvents
public import Checkpoints
public import Logging

/// Does the work for one blob: the pluggable part of blobflow.
///
/// A processor receives the blob to handle and the step its checkpoint reached in earlier
/// attempts, so it can skip steps already done (a download that completed before a crash need not
/// run again). It reports progress through `context.reached(_:)`, which checkpoints each step.
/// It must honour task cancellation: the consumer cancels work whose lease was lost or whose
/// time ran out.
public protocol Processor: Sendable {
    /// A short name for logs and metrics: `noop`, `command`, `container`.
    var name: String { get }

    /// Processes one blob; returns what it produced, or throws ``ProcessingFailure`` (any other
    /// error counts as a retryable failure).
    func process(_ job: ProcessingJob, context: ProcessingContext) async throws -> ProcessingResult
}

/// The blob to process and what earlier attempts achieved.
public struct ProcessingJob: Sendable {
    /// The event's blob, container and version.
    public var item: BlobWorkItem
    /// The furthest step an earlier attempt checkpointed (`nil` on a first attempt).
    public var resumeFrom: String?
    /// Which attempt this is, from 1 (the queue's dequeue count).
    public var attempt: Int
    /// A folder of its own for this blob version's staging files. The processor creates it when
    /// it needs one (a `noop` run never touches the disk); the consumer keeps it between failed
    /// attempts and removes it at the event's final outcome.
    public var workDirectory: String

    /// Creates a job.
    public init(item: BlobWorkItem, resumeFrom: String?, attempt: Int, workDirectory: String) {
        self.item = item
        self.resumeFrom = resumeFrom
        self.attempt = attempt
        self.workDirectory = workDirectory
    }
}

/// What a processor can call back into while it works.
public struct ProcessingContext: Sendable {
    /// Logger with the event id, blob and replica attached.
    public var logger: Logger
    /// Records that a step completed (`downloaded`, `processed`, `uploaded`), with how long it took.
    public var reached: @Sendable (_ step: String, _ seconds: Double) async -> Void

    /// Creates a context.
    public init(logger: Logger, reached: @escaping @Sendable (_ step: String, _ seconds: Double) async -> Void) {
        self.logger = logger
        self.reached = reached
    }
}

/// What a processor produced.
public struct ProcessingResult: Sendable, Hashable {
    /// Every output written, manifest last.
    public var outputs: [CheckpointOutput]

    /// Creates a result.
    public init(outputs: [CheckpointOutput] = []) {
        self.outputs = outputs
    }
}

/// Why processing failed, and whether trying again can help.
public struct ProcessingFailure: Error, Sendable, CustomStringConvertible {
    /// Whether a later attempt may succeed.
    public enum Kind: String, Sendable, Codable {
        /// Try again after a delay, until the dequeue limit (network trouble, a full disk, an app
        /// that crashed or asked for a retry).
        case retryable
        /// Dead-letter now: the blob is gone, or the app said the input is bad.
        case permanent
    }

    /// Retry or dead-letter.
    public var kind: Kind
    /// A short machine-readable reason: `blob-not-found`, `app-exit-65`, `timeout`, `disk-full`, ...
    public var reason: String
    /// What happened, in words (never a secret).
    public var message: String

    /// Creates a failure.
    public init(_ kind: Kind, reason: String, message: String) {
        self.kind = kind
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(self.reason): \(self.message)" }
}
