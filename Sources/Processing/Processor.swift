public import BlobEvents
public import Logging

/// Does the work for one blob: the pluggable part of blobflow.
///
/// A processor receives the blob to handle and the step its checkpoint reached in earlier
/// attempts, so it can skip steps already done (a download that completed before a crash need not
/// run again). It reports progress through `context.reached(_:_:)`: the consumer records each
/// step, and saves one that took a second or more in its claim at once.
/// It must honour task cancellation: the consumer cancels work whose lease was lost or whose
/// time ran out.
public protocol Processor: Sendable {
    /// A short name for logs and metrics: `noop`, `command`, `container`.
    var name: String { get }

    /// Whether the processor stages files in ``ProcessingJob/workDirectory``; when `false` the
    /// consumer never looks at that folder.
    var usesWorkDirectory: Bool { get }

    /// Processes one blob; returns what it produced, or throws ``ProcessingFailure`` (any other
    /// error counts as a retryable failure).
    func process(_ job: ProcessingJob, context: ProcessingContext) async throws -> ProcessingResult
}

extension Processor {
    public var usesWorkDirectory: Bool { true }
}

/// The blob to process and what earlier attempts achieved.
public struct ProcessingJob: Sendable {
    /// The event's blob, container and version.
    public var item: BlobWorkItem
    /// The furthest step an earlier attempt checkpointed (`nil` when none did).
    public var resumeFrom: ProcessingStep?
    /// Which attempt this is, from 1.
    public var attempt: Int
    /// A folder of its own for this blob version's staging files. The processor creates it when
    /// it needs one; the consumer keeps it between failed attempts and removes it at the event's
    /// final outcome.
    public var workDirectory: String

    /// Creates a job.
    public init(item: BlobWorkItem, resumeFrom: ProcessingStep?, attempt: Int, workDirectory: String) {
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
    /// Records that a step completed, with how long it took in seconds.
    public var reached: @Sendable (_ step: ProcessingStep, _ seconds: Double) async -> Void

    /// Creates a context.
    public init(logger: Logger, reached: @escaping @Sendable (_ step: ProcessingStep, _ seconds: Double) async -> Void)
    {
        self.logger = logger
        self.reached = reached
    }
}

/// What a processor produced.
public struct ProcessingResult: Sendable, Hashable {
    /// Every output written, manifest last.
    public var outputs: [ProcessingOutput]

    /// Creates a result.
    public init(outputs: [ProcessingOutput] = []) {
        self.outputs = outputs
    }
}
