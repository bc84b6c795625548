public import Processing

/// Runs a local program on each blob: downloads the event's blob version, runs the configured
/// command on it, uploads every file the command wrote, its log, and finally `_manifest.json`.
///
/// Steps are checkpointed (`downloaded`, `processed`, `uploaded`); a later attempt skips a
/// download whose file is still complete and a run whose outputs are still in place. Exit status
/// 65 (bad input) dead-letters the event; any other failure of the app is retried. Outputs of
/// blob `NAME` are named `OUTPUT_PREFIX/NAME/<path>`, so running an event again overwrites
/// the same blobs.
///
/// The app runs in the job's staging folder with stdin from `/dev/null`, stdout and stderr
/// appended to `app.log`, in a process group of its own: cancellation (a timeout, a lost lease,
/// shutdown) sends the group SIGTERM and, after ``Configuration/killGracePeriod``, SIGKILL; and
/// whatever the app leaves running in its group when it exits is killed before outputs are read.
/// It learns about the job from `BLOBFLOW_INPUT`, `BLOBFLOW_OUTPUT_DIR`, `BLOBFLOW_BLOB_NAME`,
/// `BLOBFLOW_CONTAINER`, `BLOBFLOW_BLOB_URL`, `BLOBFLOW_EVENT_ID`, `BLOBFLOW_CONTENT_TYPE` and
/// `BLOBFLOW_ATTEMPT`, and never sees the daemon's credentials.
public struct CommandProcessor: Processor {
    public var name: String { "command" }

    /// What to run and where outputs go.
    public let configuration: Configuration
    /// How the event's blob is downloaded and the app's files uploaded.
    public let engine: any TransferEngine
    /// How blobflow's own records of a run (the app's log, the manifest) are uploaded.
    public let recordEngine: any TransferEngine

    /// Creates the processor. `recordEngine` uploads the app's log and the manifest (`engine`
    /// when nil).
    public init(configuration: Configuration, engine: any TransferEngine, recordEngine: (any TransferEngine)? = nil) {
        self.configuration = configuration
        self.engine = engine
        self.recordEngine = recordEngine ?? engine
    }

    public func process(_ job: ProcessingJob, context: ProcessingContext) async throws -> ProcessingResult {
        let steps = AppJob(
            processor: self.name,
            engine: self.engine,
            recordEngine: self.recordEngine,
            destination: .init(
                container: self.configuration.outputContainer,
                prefix: self.configuration.outputPrefix,
                inputPrefix: self.configuration.inputPrefix
            ),
            requireOutputs: self.configuration.requireOutputs,
            killGracePeriod: self.configuration.killGracePeriod
        )
        return try await steps.process(job, context: context) { input, layout throws(ProcessingFailure) in
            try self.invocation(for: job, input: input, layout: layout)
        }
    }
}
