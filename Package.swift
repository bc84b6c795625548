// swift-tools-version:6.1
import PackageDescription

/// Strictness shared by every target: Swift 6 language mode plus the upcoming features
/// that keep imports and existentials explicit.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "blobflow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "blobflow", targets: ["blobflow"]),
        .library(name: "DevStorage", targets: ["DevStorage"]),
        .library(name: "StorageClient", targets: ["StorageClient"]),
        .library(name: "DevStorageTesting", targets: ["DevStorageTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OTLP over HTTP and gRPC: Container Apps' managed agent names the protocol it listens
        // with in OTEL_EXPORTER_OTLP_PROTOCOL, and blobflow follows it.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0"),
    ],
    targets: [
        // MARK: C libraries

        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]
        ),

        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]
        ),

        // MARK: Libraries

        /// Wire primitives shared by the server, the client and the daemon: dates, entity tags,
        /// percent-encoding, base64, durations in seconds.
        .target(
            name: "StorageCore",
            swiftSettings: swiftSettings
        ),
        /// Safe XML parsing (libxml2 with entities, DTDs and network access off) into plain Swift values.
        .target(
            name: "StorageXML",
            dependencies: ["CLibXML2"],
            swiftSettings: swiftSettings
        ),
        /// Azure Storage request signing: Shared Key, Shared Key Lite and SAS, for both signing and verifying.
        .target(
            name: "StorageAuth",
            dependencies: ["StorageCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        /// HTTP/1.1 over libcurl: one multi handle on its own thread, bridged to async/await,
        /// with bodies streamed to and from files.
        .target(
            name: "StorageHTTP",
            dependencies: ["CCurl"],
            swiftSettings: swiftSettings
        ),
        /// The Azure Storage client: credentials, retries, queues, blobs and the parallel transfer engine.
        .target(
            name: "StorageClient",
            dependencies: [
                "StorageCore",
                "StorageXML",
                "StorageAuth",
                "StorageHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The Event Grid `Microsoft.Storage.BlobCreated` event, in both delivery schemas.
        .target(
            name: "BlobEvents",
            dependencies: ["StorageCore"],
            swiftSettings: swiftSettings
        ),
        /// Per-blob-version checkpoints, claims and dead-letter records in a shared folder.
        .target(
            name: "Checkpoints",
            dependencies: ["StorageCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        /// The development storage server: Blob and Queue REST plus Event Grid emulation.
        .target(
            name: "DevStorage",
            dependencies: [
                "StorageCore",
                "StorageXML",
                "StorageAuth",
                "BlobEvents",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        /// The processing contract between the consumer and the processors: the processor protocol,
        /// the job, its steps, outputs and failure reasons.
        .target(
            name: "Processing",
            dependencies: ["BlobEvents", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        /// The consumer: polls the queue, keeps leases, checkpoints, dead-letters and replays.
        .target(
            name: "Consumer",
            dependencies: [
                "BlobEvents",
                "Checkpoints",
                "Processing",
                "StorageClient",
                "StorageCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The processors: download the blob, run the user's app on it, upload what it wrote.
        .target(
            name: "Processors",
            dependencies: [
                "BlobEvents",
                "Processing",
                "StorageClient",
                "StorageCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        /// Operator tools: replaying dead letters and reporting status.
        .target(
            name: "Operations",
            dependencies: [
                "BlobEvents",
                "Checkpoints",
                "StorageClient",
                "StorageCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        /// Configuration from the environment, a .env file and flags, validated in one place;
        /// and the log formats (JSON lines, text).
        .target(
            name: "Settings",
            dependencies: [
                "Consumer",
                "Processing",
                "StorageClient",
                "StorageHTTP",
                "StorageCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The local loop of `blobflow dev`: a drop folder uploaded into the input container, the
        /// output container mirrored into a folder, and the sample app.
        .target(
            name: "DevLoop",
            dependencies: [
                "StorageClient",
                "StorageCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The operations endpoints: /healthz, /readyz and /metrics (Prometheus text) over HTTP;
        /// and OpenTelemetry export (OTLP over HTTP) when the OTEL_* variables ask for it.
        .target(
            name: "Observability",
            dependencies: [
                "Consumer",
                "StorageClient",
                "StorageCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        /// Starts the development server in-process on port 0 for tests and benchmarks.
        .target(
            name: "DevStorageTesting",
            dependencies: [
                "DevStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: The command

        .executableTarget(
            name: "blobflow",
            dependencies: [
                "DevStorage",
                "DevLoop",
                "Observability",
                "Consumer",
                "Checkpoints",
                "BlobEvents",
                "Operations",
                "Processing",
                "Processors",
                "Settings",
                "StorageClient",
                "StorageCore",
                "StorageHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests

        .testTarget(
            name: "StorageCoreTests",
            dependencies: ["StorageCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StorageXMLTests",
            dependencies: ["StorageXML"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StorageAuthTests",
            dependencies: ["StorageAuth"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BlobEventsTests",
            dependencies: ["BlobEvents"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CheckpointsTests",
            dependencies: ["Checkpoints"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DevStorageTests",
            dependencies: [
                "DevStorage", "StorageAuth", "StorageCore", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsumerTests",
            dependencies: [
                "Consumer", "Checkpoints", "Processing", "BlobEvents", "StorageClient", "StorageHTTP", "DevStorage",
                "DevStorageTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProcessorsTests",
            dependencies: [
                "Processors", "Processing", "BlobEvents", "StorageClient", "StorageHTTP", "DevStorage",
                "DevStorageTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OperationsTests",
            dependencies: [
                "Operations", "Checkpoints", "BlobEvents", "StorageClient", "StorageHTTP", "DevStorage",
                "DevStorageTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DevLoopTests",
            dependencies: [
                "DevLoop", "StorageClient", "StorageHTTP", "DevStorage", "DevStorageTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ObservabilityTests",
            dependencies: [
                "Observability", "Consumer", "Checkpoints", "StorageClient", "StorageHTTP", "DevStorage",
                "DevStorageTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SettingsTests",
            dependencies: ["Settings", "Consumer", "StorageClient", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StorageHTTPTests",
            dependencies: ["StorageHTTP", "DevStorage", "DevStorageTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StorageClientTests",
            dependencies: [
                "StorageClient", "DevStorage", "DevStorageTesting", "StorageHTTP", "StorageAuth", "StorageCore",
                "StorageXML",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
