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
            return CommandProcessor(
                configuration: configuration,
                engine: Self.transferEngine(settings, pipeline: pipeline, logger: logger)
            )
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
            return ContainerProcessor(
                configuration: configuration,
                transfer: Self.transferEngine(settings, pipeline: pipeline, logger: logger)
            )
        }
    }

    static func transferEngine(
        _ settings: BlobflowSettings,
        pipeline: StoragePipeline,
        logger: Logger
    ) -> any TransferEngine {
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
        guard processing.transfer != .native, let azcopyPath = processing.azcopyPath else { return native }
        if accountSAS {
            guard processing.transfer == .azcopy else { return native }
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
        return processing.transfer == .auto ? SizeRoutedTransferEngine(small: native, large: azcopy) : azcopy
    }
}
