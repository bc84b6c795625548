import ArgumentParser
import Checkpoints
import Consumer
import Logging
import Observability
import Processing
import ServiceLifecycle
import Settings
import StorageClient
import UnixSignals

/// `blobflow run`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Consume BlobCreated events from the work queue and process each blob once.",
        discussion: """
            Configuration comes from environment variables, a .env file (--env-file, default ./.env when \
            present) and flags; flags win. See example.env for every variable. SIGTERM or SIGINT stops \
            fetching, lets in-flight work finish within the grace period, then releases the rest to \
            other replicas at once.
            """
    )

    @OptionGroup(title: "Configuration")
    var options: ConfigurationOptions

    @Option(help: ArgumentHelp("Processor: noop or command (BLOBFLOW_PROCESSOR).", valueName: "name"))
    var processor: String?

    @Option(
        help: ArgumentHelp(
            "The command processor's program and arguments (BLOBFLOW_COMMAND).",
            valueName: "command line"
        )
    )
    var command: String?

    @Option(help: ArgumentHelp("Blobs processed at once (BLOBFLOW_CONCURRENCY).", valueName: "n"))
    var concurrency: Int?

    @Option(help: ArgumentHelp("Messages per receive, 1-32 (BLOBFLOW_BATCH_SIZE).", valueName: "n"))
    var batchSize: Int?

    @Option(
        help: ArgumentHelp(
            "Seconds a received message stays hidden (BLOBFLOW_VISIBILITY_TIMEOUT).",
            valueName: "seconds"
        )
    )
    var visibilityTimeout: Int?

    @Option(help: ArgumentHelp("Attempts before dead-lettering (BLOBFLOW_MAX_DEQUEUE_COUNT).", valueName: "n"))
    var maxDequeueCount: Int?

    @Option(help: ArgumentHelp("Longest processing time per blob (BLOBFLOW_PROCESS_TIMEOUT).", valueName: "duration"))
    var processTimeout: String?

    @Option(
        help: ArgumentHelp(
            "Exit 0 once the queue has been empty this long (BLOBFLOW_EXIT_WHEN_IDLE).",
            valueName: "duration"
        )
    )
    var exitWhenIdle: String?

    @Option(
        help: ArgumentHelp(
            "On shutdown, how long in-flight work may finish (BLOBFLOW_SHUTDOWN_GRACE).",
            valueName: "duration"
        )
    )
    var shutdownGrace: String?

    @OptionGroup(title: "Replay before consuming")
    var replay: ReplayOptions

    @OptionGroup
    var output: OutputOptions

    func validate() throws {
        try self.replay.requireReplayFlag()
    }

    func run() async throws {
        var extra: [String: String] = [:]
        let named: [(SettingKey, String?)] = [
            (.processor, self.processor), (.command, self.command), (.concurrency, self.concurrency.map(String.init)),
            (.batchSize, self.batchSize.map(String.init)),
            (.visibilityTimeout, self.visibilityTimeout.map(String.init)),
            (.maxDequeueCount, self.maxDequeueCount.map(String.init)), (.processTimeout, self.processTimeout),
            (.exitWhenIdle, self.exitWhenIdle), (.shutdownGrace, self.shutdownGrace),
        ]
        for case (let key, let value?) in named { extra[key.name] = value }
        let runtime = try Runtime.start(self.options, extra: extra)
        if let port = runtime.settings.httpPort {
            // A taken port is reported now, before any work is taken from the queue.
            do {
                try ListenPortCheck.ensureFree(
                    host: runtime.settings.httpHost,
                    [.init(port: port, what: "operations endpoints", flag: "BLOBFLOW_HTTP_PORT")]
                )
            } catch {
                runtime.logger.critical("cannot serve the operations endpoints", metadata: ["error": "\(error)"])
                throw ExitCode(1)
            }
        }
        await SignalBackstop.install(
            command: "blobflow run",
            limit: runtime.settings.consumer.shutdownGracePeriod + .seconds(15)
        )
        let store = try runtime.openStore()

        if self.replay.replayDeadLetters {
            try await ReplayCommandSupport.replay(self.replay, json: self.output.json, runtime: runtime, store: store)
            if self.replay.dryRun { return }
        }

        let settings = runtime.settings
        let logger = runtime.logger
        // Metrics first: everything created after this records into the Prometheus registry.
        let telemetry: Telemetry.Backends
        do {
            telemetry = try OperationsSupport.bootstrapTelemetry(logger: logger)
        } catch {
            logger.critical(
                "cannot set up OpenTelemetry export (check the OTEL_* variables)",
                metadata: ["error": "\(error)"]
            )
            throw ExitCode(2)
        }
        let registry = OperationsSupport.bootstrapMetrics(prometheus: settings.httpPort != nil, otel: telemetry.metrics)
        let processor = try ProcessorFactory.make(settings, pipeline: runtime.pipeline, logger: logger)
        logger.info(
            "starting",
            metadata: [
                "account": "\(settings.storage.accountName)", "credential": "\(settings.storage.credentialKind)",
                "processor": "\(processor.name)",
                "transfer": "\(settings.processor == .noop ? "-" : settings.processing.transfer.rawValue)",
                "checkpoint_dir": "\(settings.consumer.checkpointDirectory)",
                "input": "\(settings.consumer.inputContainer)/\(settings.consumer.inputPrefix)",
                "output": "\(settings.consumer.outputContainer)/\(settings.consumer.outputPrefix)",
            ]
        )
        if settings.processor != .noop {
            await Self.prepareOutputContainer(runtime)
        }
        let statistics = ConsumerStatistics()
        let consumer = Consumer(
            configuration: settings.consumer,
            pipeline: runtime.pipeline,
            store: store,
            processor: processor,
            logger: logger,
            statistics: statistics
        )
        let pruner = CheckpointPruner(store: store, retention: settings.consumer.checkpointRetention, logger: logger)
        let operations = OperationsSupport.services(
            settings,
            statistics: statistics,
            registry: registry,
            pipeline: runtime.pipeline,
            logger: logger
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                // Services stop in reverse order: the exporters, first here, stop last and flush
                // the spans and metrics of the consumer's final work.
                services: telemetry.services.map { .init(service: $0) } + [
                    .init(
                        service: consumer,
                        successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup
                    ),
                    .init(service: pruner),
                ] + operations,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            logger.critical("stopped on an error", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }

    /// Creates the output container when it is missing, so the first upload does not fail. An
    /// identity allowed to write blobs but not to create containers only gets a warning: the
    /// container may well exist already.
    static func prepareOutputContainer(_ runtime: Runtime) async {
        let name = runtime.settings.consumer.outputContainer
        do {
            if try await runtime.pipeline.container(name).createIfNotExists() {
                runtime.logger.notice("created the output container", metadata: ["container": "\(name)"])
            }
        } catch {
            runtime.logger.warning(
                "could not make sure the output container exists",
                metadata: ["container": "\(name)", "error": "\(error)"]
            )
        }
    }
}
