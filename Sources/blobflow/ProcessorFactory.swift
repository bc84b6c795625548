import Consumer
import Logging
import Processing
import Processors
import Settings
import StorageClient

/// Builds the processor and transfer engine the configuration names.
enum ProcessorFactory {
    static func make(_ settings: BlobflowSettings, pipeline: StoragePipeline, logger: Logger) throws -> any Processor {
        let consumer = settings.consumer
        switch settings.processor {
        case .noop:
            return NoopProcessor()
        case .command:
            var configuration = CommandProcessor.Configuration(command: settings.command)
            configuration.inputPrefix = consumer.inputPrefix
            configuration.outputContainer = consumer.outputContainer
            configuration.outputPrefix = consumer.outputPrefix
            configuration.blobEndpoint = pipeline.account.blobEndpoint
            configuration.inheritedEnvironment = settings.environment
            let engines = Self.transferEngines(settings, pipeline: pipeline, logger: logger)
            return CommandProcessor(configuration: configuration, engine: engines.data, recordEngine: engines.records)
        case .container:
            let processing = settings.processing
            var configuration = ContainerProcessor.Configuration(
                engine: processing.containerEngine ?? "podman",
                image: processing.image ?? "",
                command: settings.command
            )
            configuration.network = processing.containerNetwork
            configuration.cpus = processing.containerCPUs
            configuration.memory = processing.containerMemory
            configuration.mounts = processing.containerMounts.map {
                ContainerProcessor.Mount(host: $0.host, container: $0.container)
            }
            configuration.passEnvironment = processing.containerEnvironment
            configuration.inheritedEnvironment = settings.environment
            configuration.inputPrefix = consumer.inputPrefix
            configuration.outputContainer = consumer.outputContainer
            configuration.outputPrefix = consumer.outputPrefix
            configuration.blobEndpoint = pipeline.account.blobEndpoint
            for problem in configuration.problems {
                logger.warning("container settings: \(problem)")
            }
            let engines = Self.transferEngines(settings, pipeline: pipeline, logger: logger)
            return ContainerProcessor(
                configuration: configuration,
                transfer: engines.data,
                recordTransfer: engines.records
            )
        }
    }

    /// The engine for the event's blob and the app's files (`data`), and the one for blobflow's
    /// own records of each run, the app's log and the manifest (`records`): always the native
    /// engine, since two small uploads per event through azcopy would cost two process starts.
    static func transferEngines(
        _ settings: BlobflowSettings,
        pipeline: StoragePipeline,
        logger: Logger
    ) -> (data: any TransferEngine, records: any TransferEngine) {
        let processing = settings.processing
        // An account SAS cannot be narrowed to one blob: azcopy would carry it whole on its command
        // line, where any process of the same user (the app) can read it. `auto` then stays native;
        // an explicit `azcopy` is honoured with a warning (the README says what it exposes).
        let accountSAS: Bool
        if case .sas = pipeline.account.credential {
            accountSAS = processing.azcopyLogin == nil
        } else {
            accountSAS = false
        }
        var options = TransferOptions()
        options.concurrency = processing.transferConcurrency
        options.blockSize = Int64(processing.blockSizeMiB) * 1024 * 1024
        let native = NativeTransferEngine(pipeline: pipeline, options: options)
        guard processing.transfer != .native, let azcopyPath = processing.azcopyPath else { return (native, native) }
        if accountSAS {
            guard processing.transfer == .azcopy else { return (native, native) }
            logger.warning(
                "BLOBFLOW_TRANSFER=azcopy with an account SAS: azcopy gets that SAS on its command line, readable by the app while a transfer runs; use a key or an identity (azcopy then gets per-blob SAS), or the native engine"
            )
        }
        var configuration = AzCopyTransferEngine.Configuration(
            binaryPath: azcopyPath,
            workDirectory: settings.consumer.workDirectory + "/.azcopy"
        )
        configuration.concurrency = processing.transferConcurrency
        configuration.blockSizeMiB = processing.blockSizeMiB
        configuration.inheritedEnvironment = settings.environment
        if let login = processing.azcopyLogin { configuration.authorization = .autoLogin(login) }
        let azcopy = AzCopyTransferEngine(configuration: configuration, pipeline: pipeline, logger: logger)
        return (processing.transfer == .auto ? SizeRoutedTransferEngine(small: native, large: azcopy) : azcopy, native)
    }
}
