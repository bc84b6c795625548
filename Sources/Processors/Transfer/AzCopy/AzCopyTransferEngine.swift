import Foundation
public import Logging
import Processing
public import StorageClient

/// The transfer engine that hands the network side to Microsoft's azcopy, in pipe mode: one
/// `azcopy copy URL --from-to BlobPipe` per download and one `--from-to PipeBlob` per upload, with
/// blobflow moving the bytes between the local file and azcopy's stdout or stdin.
///
/// Pipe mode has none of job mode's per-run costs (azcopy notices the end of a job only on its
/// two-second progress tick, and keeps job plans and logs); blobflow owning the stream lets it
/// check what it gets as its own engine does. A download is pinned to the event's eTag: the
/// blob's properties are read before azcopy starts and again after it has finished, and a blob
/// replaced in between fails with the same HTTP 412 `StorageError`, so the consumer treats it the
/// same way; the bytes are counted and hashed as they are written, and must match the version's
/// length and Content-MD5. An upload's bytes are hashed as they are fed to azcopy; the committed
/// blob must have as many, and blobflow then stores their MD5 as its Content-MD5 (azcopy stores
/// none in pipe mode), with the content type, on that exact version (`If-Match`).
///
/// Each transfer is authorized on its own (see ``Authorization``): by default with a SAS for the
/// one blob, read-only for a download and create/write for an upload, valid for an hour. azcopy
/// runs with a minimal environment (never the account key or connection string) in a folder of
/// its own under ``Configuration/workDirectory``, removed when the transfer ends. Cancelling the
/// calling task stops azcopy (SIGTERM, then SIGKILL). azcopy reports nothing but its exit status
/// in pipe mode; errors say how it ended, with any stderr text, without SAS signatures.
///
/// ```swift
/// guard let azcopy = AzCopyTransferEngine.locate(explicitPath: nil, environment: ProcessInfo.processInfo.environment) else { ... }
/// let engine = AzCopyTransferEngine(
///     configuration: .init(binaryPath: azcopy, workDirectory: "/var/lib/blobflow/azcopy"), pipeline: pipeline
/// )
/// ```
public struct AzCopyTransferEngine: TransferEngine {
    /// What each transfer works with.
    public let configuration: Configuration
    /// The account blobs are read from and written to, and the client that checks them.
    public let pipeline: StoragePipeline
    let logger: Logger
    let runner: AzCopyRunner
    private let delegationKeys = UserDelegationKeyCache()
    /// Points where tests step in; nothing is set in production.
    var hooks = Hooks()

    /// Points where tests step in between the engine's own steps.
    struct Hooks: Sendable {
        /// Rewrites the authorized URL azcopy is given (to hand it a tampered SAS).
        var authorizedURL: (@Sendable (String) -> String)?
        /// Runs just before azcopy starts (for a download, after the first check of the blob).
        var beforeTransfer: (@Sendable () async throws -> Void)?
    }

    /// Creates an engine running azcopy as `configuration` says on the account of `pipeline`.
    public init(
        configuration: Configuration,
        pipeline: StoragePipeline,
        logger: Logger = Logger(label: "blobflow.azcopy")
    ) {
        self.configuration = configuration
        self.pipeline = pipeline
        self.logger = logger
        var autoLoginType: String?
        if case .autoLogin(let type) = configuration.authorization { autoLoginType = type.uppercased() }
        self.runner = AzCopyRunner(
            executable: configuration.binaryPath,
            home: AzCopyHome(workDirectory: configuration.workDirectory, logger: logger),
            inheritedEnvironment: configuration.inheritedEnvironment ?? ProcessInfo.processInfo.environment,
            concurrency: configuration.concurrency,
            autoLoginType: autoLoginType,
            killGracePeriod: configuration.killGracePeriod,
            logger: logger
        )
    }

    /// The azcopy to run: `explicitPath` when given, else `BLOBFLOW_AZCOPY` from `environment`,
    /// else `azcopy` in `environment`'s `PATH`. A value with a `/` is a path (relative to the
    /// current folder); a bare name is looked up in `PATH`. Returns nil when the first of these
    /// that is set does not name an executable file: a configured azcopy that is missing is not
    /// silently replaced by another.
    public static func locate(explicitPath: String?, environment: [String: String]) -> String? {
        ProgramLocator.locateAzCopy(explicitPath: explicitPath, environment: environment)
    }

    // MARK: Shared steps

    /// The blob `name` in `container` of the configured account: its URL is built from the
    /// account's endpoint, never taken from an event.
    func blob(_ name: String, in container: String) -> BlobClient {
        self.pipeline.container(container).blob(name)
    }

    /// The URL azcopy is given for `blob`, authorized for `permissions`, with a scrubber for the
    /// signature in it.
    func authorizedURL(
        for blob: BlobClient,
        permissions: String
    ) async throws -> (url: String, scrubber: SecretScrubber) {
        var url: String
        switch self.configuration.authorization {
        case .autoLogin(let type):
            guard AzCopyEnvironment.autoLoginTypes.contains(type.uppercased()) else {
                throw AzCopyError(
                    .invalidRequest,
                    message: "azcopy sign-in type '\(type)' is not supported; use MSI or WORKLOAD, or SAS authorization"
                )
            }
            url = blob.url
        case .sas:
            var request = SASRequest(permissions: permissions, lifetime: self.configuration.sasLifetime)
            if case .token = self.pipeline.account.credential {
                request = try await self.delegationKeys.request(
                    permissions: permissions,
                    lifetime: self.configuration.sasLifetime,
                    pipeline: self.pipeline
                )
            }
            url = try blob.sasURL(request)
        }
        if let rewrite = self.hooks.authorizedURL { url = rewrite(url) }
        return (url, SecretScrubber(signaturesIn: [url]))
    }
}
