import Foundation
public import Processing

/// Runs each blob through an app in a container: downloads the event's blob version, runs the
/// configured image on it with docker or podman, uploads every file the app wrote, its log, and
/// finally `_manifest.json`.
///
/// The app contract is the command processor's (``CommandProcessor``): the same staging,
/// checkpoints and output names, exit 0 for success, 65 for bad input (dead-lettered), anything
/// else retried. Inside the container the input is `/blobflow/input/<file name>` (read-only) and
/// the app writes to `/blobflow/output`, empty at the start of each run; the `BLOBFLOW_*`
/// variables describe the job with those paths. Nothing else of the host is visible but the
/// configured read-only ``Mount``s, nothing of blobflow's environment but the variables
/// ``Configuration/passEnvironment`` names (never its storage credentials), and no network unless
/// ``Configuration/network`` names one.
///
/// Each attempt runs in a container of its own, `--rm`, named `blobflow-<digest>-<attempt>-<random>`
/// and labelled `blobflow.event-id`, `blobflow.source`, `blobflow.etag` and `blobflow.attempt`.
/// Cancellation (a timeout, a lost lease, shutdown) stops and removes the container through the
/// engine before the job ends. The engine's exit statuses 125 (a retryable `engine-failed`) and
/// 126 or 127 (a permanent `app-not-startable`) are read before the app contract.
///
/// Outputs are read as blobflow's own user: symbolic links, devices and fifos are refused as for
/// the command processor, and files must be readable by blobflow (always so when it runs as root;
/// see ``Configuration/user`` otherwise).
public struct ContainerProcessor: Processor {
    /// Where the input folder is mounted, read-only, inside the container.
    public static let inputDirectory = "/blobflow/input"
    /// Where the output folder is mounted, read-write, inside the container.
    public static let outputDirectory = "/blobflow/output"
    /// The folder inside the container that only blobflow mounts into.
    static let stagingRoot = "/blobflow"

    public var name: String { "container" }

    /// What to run and where outputs go.
    public let configuration: Configuration
    /// How the event's blob is downloaded and the app's files uploaded.
    public let transfer: any TransferEngine
    /// How blobflow's own records of a run (the app's log, the manifest) are uploaded.
    public let recordTransfer: any TransferEngine

    /// Creates the processor. `recordTransfer` uploads the app's log and the manifest
    /// (`transfer` when nil).
    public init(
        configuration: Configuration,
        transfer: any TransferEngine,
        recordTransfer: (any TransferEngine)? = nil
    ) {
        self.configuration = configuration
        self.transfer = transfer
        self.recordTransfer = recordTransfer ?? transfer
    }

    public func process(_ job: ProcessingJob, context: ProcessingContext) async throws -> ProcessingResult {
        let steps = AppJob(
            processor: self.name,
            engine: self.transfer,
            recordEngine: self.recordTransfer,
            destination: .init(
                container: self.configuration.outputContainer,
                prefix: self.configuration.outputPrefix,
                inputPrefix: self.configuration.inputPrefix
            ),
            requireOutputs: self.configuration.requireOutputs,
            killGracePeriod: self.configuration.killGracePeriod
        )
        return try await steps.process(job, context: context) { input, layout throws(ProcessingFailure) in
            try self.launch(for: job, input: input, layout: layout)
        }
    }

    /// The container engine to use: `preferred` (a path, or a name looked up in `environment`'s
    /// `PATH`) when one is given, else `podman`, else `docker`. Returns its absolute path, or nil
    /// when none is found; a preferred engine that is not found is not replaced by another.
    public static func locateEngine(preferred: String?, environment: [String: String]) -> String? {
        ProgramLocator.locateContainerEngine(preferred: preferred, environment: environment)
    }
}
