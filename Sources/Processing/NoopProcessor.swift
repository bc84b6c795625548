/// Acknowledges every event without transferring anything: for draining a queue and for
/// measuring the consumer's own overhead. It never touches the disk.
public struct NoopProcessor: Processor {
    public var name: String { "noop" }
    public var usesWorkDirectory: Bool { false }

    /// Creates the processor.
    public init() {}

    public func process(_ job: ProcessingJob, context: ProcessingContext) async throws -> ProcessingResult {
        ProcessingResult()
    }
}
