/// One configuration variable blobflow reads: its name, default, meaning and group.
///
/// ``SettingKey/all`` is the single list of every variable. `example.env` and the README's
/// configuration table are checked against it by a test, so a variable cannot be added to the
/// code without being documented.
public struct SettingKey: Sendable, Hashable, CustomStringConvertible {
    /// Where a variable belongs in `example.env` and the README.
    public enum Group: String, Sendable, CaseIterable {
        case storage = "Storage account"
        case queues = "Queues and containers"
        case folders = "Checkpoints and staging"
        case processing = "Processing"
        case polling = "Polling, leases and retries"
        case logging = "Logging and operations endpoints"
    }

    /// The environment variable name.
    public let name: String
    /// The default as a user would write it, or nil when there is none.
    public let defaultValue: String?
    /// One line saying what it does.
    public let summary: String
    /// Its group.
    public let group: Group
    /// Whether the value is a secret: it is never printed, only whether it is set.
    public let isSecret: Bool

    init(_ name: String, default defaultValue: String? = nil, _ summary: String, group: Group, secret: Bool = false) {
        self.name = name
        self.defaultValue = defaultValue
        self.summary = summary
        self.group = group
        self.isSecret = secret
    }

    public var description: String { self.name }
}

extension SettingKey {
    // MARK: Storage account

    /// A full connection string (account key, SAS or development storage).
    public static let connectionString = SettingKey(
        "AZURE_STORAGE_CONNECTION_STRING",
        "Connection string; use this or AZURE_STORAGE_ACCOUNT.",
        group: .storage,
        secret: true
    )
    /// The account name, for a key, a SAS or managed identity.
    public static let accountName = SettingKey(
        "AZURE_STORAGE_ACCOUNT",
        "Account name; with a key, a SAS, or alone for managed/workload identity.",
        group: .storage
    )
    /// The account key.
    public static let accountKey = SettingKey(
        "AZURE_STORAGE_KEY",
        "Account key (Shared Key); prefer managed identity in Azure.",
        group: .storage,
        secret: true
    )
    /// A SAS token.
    public static let sasToken = SettingKey(
        "AZURE_STORAGE_SAS_TOKEN",
        "Account SAS token (the query string, with or without '?').",
        group: .storage,
        secret: true
    )
    /// An explicit blob endpoint.
    public static let blobEndpoint = SettingKey(
        "AZURE_STORAGE_BLOB_ENDPOINT",
        default: "https://ACCOUNT.blob.core.windows.net",
        "Blob endpoint, for private endpoints, sovereign clouds or a local server.",
        group: .storage
    )
    /// An explicit queue endpoint.
    public static let queueEndpoint = SettingKey(
        "AZURE_STORAGE_QUEUE_ENDPOINT",
        default: "https://ACCOUNT.queue.core.windows.net",
        "Queue endpoint, as above.",
        group: .storage
    )

    // MARK: Queues and containers

    /// The work queue.
    public static let queue = SettingKey(
        "BLOBFLOW_QUEUE",
        default: "blobflow-events",
        "Queue Event Grid writes BlobCreated events to.",
        group: .queues
    )
    /// The poison queue.
    public static let poisonQueue = SettingKey(
        "BLOBFLOW_POISON_QUEUE",
        default: "<queue>-poison",
        "Where dead-lettered messages go (never expiring).",
        group: .queues
    )
    /// The input container.
    public static let inputContainer = SettingKey(
        "BLOBFLOW_INPUT_CONTAINER",
        default: "input",
        "Container whose new blobs are work.",
        group: .queues
    )
    /// The input prefix.
    public static let inputPrefix = SettingKey(
        "BLOBFLOW_INPUT_PREFIX",
        default: "",
        "Only blobs under this prefix are work.",
        group: .queues
    )
    /// The output container.
    public static let outputContainer = SettingKey(
        "BLOBFLOW_OUTPUT_CONTAINER",
        default: "output",
        "Container the results are uploaded to.",
        group: .queues
    )
    /// The output prefix.
    public static let outputPrefix = SettingKey(
        "BLOBFLOW_OUTPUT_PREFIX",
        default: "",
        "Prefix of every output name.",
        group: .queues
    )

    // MARK: Folders

    /// The checkpoint folder.
    public static let checkpointDirectory = SettingKey(
        "BLOBFLOW_CHECKPOINT_DIR",
        default: "/mnt/azurefiles/blobflow",
        "Shared folder (Azure Files mount) for checkpoints, claims and dead-letter records.",
        group: .folders
    )
    /// The staging folder.
    public static let workDirectory = SettingKey(
        "BLOBFLOW_WORK_DIR",
        default: "<checkpoint dir>/work",
        "Staging folder for downloads and app outputs.",
        group: .folders
    )
    /// How long completed checkpoints are kept.
    public static let checkpointRetention = SettingKey(
        "BLOBFLOW_CHECKPOINT_RETENTION",
        default: "7d",
        "Completed checkpoint records older than this are pruned.",
        group: .folders
    )
    /// This replica's name.
    public static let replicaID = SettingKey(
        "BLOBFLOW_REPLICA_ID",
        default: "host name",
        "This replica's name in checkpoints, claims and logs.",
        group: .folders
    )

    // MARK: Processing

    /// Which processor.
    public static let processor = SettingKey(
        "BLOBFLOW_PROCESSOR",
        default: "noop",
        "noop (checkpoint and acknowledge only), command (a local program) or container (docker/podman).",
        group: .processing
    )
    /// The command template.
    public static let command = SettingKey(
        "BLOBFLOW_COMMAND",
        "The app's program and arguments; {input} {output} {name} {stem} are replaced.",
        group: .processing
    )
    /// Which transfer engine.
    public static let transfer = SettingKey(
        "BLOBFLOW_TRANSFER",
        default: "auto if azcopy is found, else native",
        "azcopy, native (blobflow's parallel engine) or auto (native below 64 MiB, azcopy above).",
        group: .processing
    )
    /// The azcopy binary.
    public static let azcopy = SettingKey(
        "BLOBFLOW_AZCOPY",
        default: "azcopy on PATH",
        "Path of the azcopy binary.",
        group: .processing
    )
    /// How azcopy signs in.
    public static let azcopyLogin = SettingKey(
        "BLOBFLOW_AZCOPY_LOGIN",
        default: "sas",
        "sas (a short-lived SAS per blob) or MSI (azcopy's own managed identity login; Azure hosts only).",
        group: .processing
    )
    /// Parallel requests per transfer.
    public static let transferConcurrency = SettingKey(
        "BLOBFLOW_TRANSFER_CONCURRENCY",
        default: "16",
        "Parallel block requests per file, for either engine.",
        group: .processing
    )
    /// Block size.
    public static let blockSize = SettingKey(
        "BLOBFLOW_BLOCK_SIZE_MIB",
        default: "8",
        "Block size of uploads and ranged downloads, in MiB.",
        group: .processing
    )
    /// The container engine.
    public static let containerEngine = SettingKey(
        "BLOBFLOW_CONTAINER_ENGINE",
        default: "podman, else docker",
        "docker, podman or a path, for the container processor.",
        group: .processing
    )
    /// The app's image.
    public static let image = SettingKey(
        "BLOBFLOW_IMAGE",
        "The app's image for the container processor (BLOBFLOW_COMMAND, if set, replaces its command).",
        group: .processing
    )
    /// The container's network.
    public static let containerNetwork = SettingKey(
        "BLOBFLOW_CONTAINER_NETWORK",
        default: "none",
        "Network for the app's container; none keeps it offline.",
        group: .processing
    )
    /// CPU limit.
    public static let containerCPUs = SettingKey(
        "BLOBFLOW_CONTAINER_CPUS",
        "CPU limit of the app's container (e.g. 1.5).",
        group: .processing
    )
    /// Memory limit.
    public static let containerMemory = SettingKey(
        "BLOBFLOW_CONTAINER_MEMORY",
        "Memory limit of the app's container (e.g. 2g).",
        group: .processing
    )
    /// Extra read-only mounts.
    public static let containerMounts = SettingKey(
        "BLOBFLOW_CONTAINER_MOUNTS",
        "Extra read-only mounts, HOST:CONTAINER separated by commas (e.g. the app's config).",
        group: .processing
    )
    /// Environment passed through.
    public static let containerEnvironment = SettingKey(
        "BLOBFLOW_CONTAINER_ENV",
        "Names of environment variables passed into the app's container, separated by commas.",
        group: .processing
    )
    /// Blobs processed at once.
    public static let concurrency = SettingKey(
        "BLOBFLOW_CONCURRENCY",
        default: "4",
        "Blobs processed at once by one replica.",
        group: .processing
    )
    /// The processing time limit.
    public static let processTimeout = SettingKey(
        "BLOBFLOW_PROCESS_TIMEOUT",
        default: "1h",
        "Longest one blob may take; then it is cancelled and counts as a failure.",
        group: .processing
    )
    /// The shutdown grace period.
    public static let shutdownGrace = SettingKey(
        "BLOBFLOW_SHUTDOWN_GRACE",
        default: "30s",
        "On SIGTERM, how long in-flight work may finish before it is released.",
        group: .processing
    )
    /// Exit when idle.
    public static let exitWhenIdle = SettingKey(
        "BLOBFLOW_EXIT_WHEN_IDLE",
        "Exit 0 after the queue has been empty this long (Container Apps Jobs).",
        group: .processing
    )

    // MARK: Polling

    /// Messages per receive.
    public static let batchSize = SettingKey(
        "BLOBFLOW_BATCH_SIZE",
        default: "16",
        "Messages asked for per receive (1-32), never more than free slots.",
        group: .polling
    )
    /// Receive visibility.
    public static let visibilityTimeout = SettingKey(
        "BLOBFLOW_VISIBILITY_TIMEOUT",
        default: "300",
        "Seconds a received message stays hidden; renewed while work runs.",
        group: .polling
    )
    /// Dequeue limit.
    public static let maxDequeueCount = SettingKey(
        "BLOBFLOW_MAX_DEQUEUE_COUNT",
        default: "5",
        "Attempts before an event is dead-lettered.",
        group: .polling
    )
    /// Shortest poll interval.
    public static let minPollInterval = SettingKey(
        "BLOBFLOW_MIN_POLL_INTERVAL",
        default: "100ms",
        "Wait after a poll that found messages.",
        group: .polling
    )
    /// Longest poll interval.
    public static let maxPollInterval = SettingKey(
        "BLOBFLOW_MAX_POLL_INTERVAL",
        default: "30s",
        "Longest wait between polls of an empty queue.",
        group: .polling
    )
    /// First retry delay.
    public static let retryDelay = SettingKey(
        "BLOBFLOW_RETRY_DELAY",
        default: "10s",
        "Delay before a failed event is retried; doubles per attempt.",
        group: .polling
    )
    /// Longest retry delay.
    public static let maxRetryDelay = SettingKey(
        "BLOBFLOW_MAX_RETRY_DELAY",
        default: "10m",
        "Longest retry delay.",
        group: .polling
    )

    // MARK: Logging

    /// Log format.
    public static let logFormat = SettingKey(
        "BLOBFLOW_LOG_FORMAT",
        default: "json",
        "json (one object per line) or text.",
        group: .logging
    )
    /// Log level.
    public static let logLevel = SettingKey(
        "BLOBFLOW_LOG_LEVEL",
        default: "info",
        "trace, debug, info, notice, warning, error or critical.",
        group: .logging
    )

    /// The operations endpoints' port.
    public static let httpPort = SettingKey(
        "BLOBFLOW_HTTP_PORT",
        "Port for /healthz, /readyz and /metrics (Prometheus); off when unset.",
        group: .logging
    )
    /// The operations endpoints' address.
    public static let httpHost = SettingKey(
        "BLOBFLOW_HTTP_HOST",
        default: "0.0.0.0",
        "Address the operations endpoints listen on.",
        group: .logging
    )

    /// Every variable blobflow reads, in documentation order.
    public static let all: [SettingKey] = [
        .connectionString, .accountName, .accountKey, .sasToken, .blobEndpoint, .queueEndpoint,
        .queue, .poisonQueue, .inputContainer, .inputPrefix, .outputContainer, .outputPrefix,
        .checkpointDirectory, .workDirectory, .checkpointRetention, .replicaID,
        .processor, .command, .transfer, .azcopy, .azcopyLogin, .transferConcurrency, .blockSize, .containerEngine,
        .image,
        .containerNetwork, .containerCPUs, .containerMemory, .containerMounts, .containerEnvironment, .concurrency,
        .processTimeout, .shutdownGrace, .exitWhenIdle,
        .batchSize, .visibilityTimeout, .maxDequeueCount, .minPollInterval, .maxPollInterval, .retryDelay,
        .maxRetryDelay,
        .logFormat, .logLevel, .httpPort, .httpHost,
    ]

    /// The key named `name`, if blobflow reads it.
    public static func named(_ name: String) -> SettingKey? {
        Self.all.first { $0.name == name }
    }
}
