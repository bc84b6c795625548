import Consumer
import Logging
import Processors
import Settings
import StorageClient

/// Builds the processor the configuration names.
enum ProcessorFactory {
    static func make(_ settings: BlobflowSettings, pipeline: StoragePipeline, logger: Logger) throws -> any Processor {
        switch settings.processor {
        case .noop:
            return NoopProcessor()
        case .command:
            var configuration = CommandProcessor.Configuration(command: settings.command)
            configuration.inputPrefix = settings.consumer.inputPrefix
            configuration.outputContainer = settings.consumer.outputContainer
            configuration.outputPrefix = settings.consumer.outputPrefix
            configuration.blobEndpoint = pipeline.account.blobEndpoint
            configuration.inheritedEnvironment = settings.environment
            return CommandProcessor(configuration: configuration, engine: NativeTransferEngine(pipeline: pipeline))
        }
    }
}
