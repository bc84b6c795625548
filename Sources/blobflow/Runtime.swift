import ArgumentParser
import BlobEvents
import Checkpoints
import Consumer
import Foundation
import Logging
import Settings
import StorageClient
import StorageHTTP
import Synchronization

/// What a command needs once configuration is read: settings, a logger, and a pipeline to the
/// account. Configuration problems are printed all together and end the command with exit
/// code 2, before anything touches storage.
struct Runtime {
    let settings: BlobflowSettings
    let logger: Logger
    let pipeline: StoragePipeline

    private static let bootstrapped = Mutex(false)

    /// Reads and validates configuration, sets up logging, opens the HTTP transport.
    static func start(
        _ options: ConfigurationOptions,
        extra: [String: String] = [:],
        defaultLogFormat: LogFormat? = nil
    ) throws -> Runtime {
        let values: SettingsValues
        do {
            values = try options.values(extra: extra)
        } catch let error as SettingsError {
            FileHandle.standardError.write(Data("blobflow: \(error)\n".utf8))
            throw ExitCode(2)
        }
        return try Self.start(values, defaultLogFormat: defaultLogFormat)
    }

    /// Validates `values`, sets up logging (text lines hide `hiddenMetadata`), opens the transport.
    static func start(
        _ values: SettingsValues,
        defaultLogFormat: LogFormat? = nil,
        hiddenMetadata: Set<String> = [],
        isHidden: (@Sendable (LogEvent) -> Bool)? = nil
    ) throws -> Runtime {
        let settings: BlobflowSettings
        do {
            var values = values
            if let defaultLogFormat, values[.logFormat] == nil {
                values.flags[SettingKey.logFormat.name] = defaultLogFormat.rawValue
            }
            settings = try BlobflowSettings.load(values)
        } catch {
            FileHandle.standardError.write(Data("blobflow: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let format = settings.logFormat
        let level = settings.logLevel
        Self.bootstrapped.withLock { done in
            guard !done else { return }
            LoggingSystem.bootstrap(
                format.makeHandler(level: level, hiddenMetadata: hiddenMetadata, isHidden: isHidden)
            )
            done = true
        }
        var logger = Logger(label: "blobflow")
        logger.logLevel = level
        logger[metadataKey: "replica"] = "\(settings.consumer.replicaID)"
        for warning in settings.warnings {
            logger.warning("\(warning)")
        }
        let transport: CurlTransport
        do {
            transport = try CurlTransport()
        } catch {
            logger.critical("cannot start the HTTP transport", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let account = settings.storage.makeAccount(http: transport, logger: logger)
        let pipeline = StoragePipeline(account: account, http: transport, logger: logger)
        return Runtime(settings: settings, logger: logger, pipeline: pipeline)
    }

    /// The checkpoint store, or exit 1 with a message naming the folder.
    /// The consumer's input filter, for the operator commands that decode events or list blobs
    /// the way the consumer would (backfill, replays).
    func inputFilter() -> InputFilter {
        let consumer = self.settings.consumer
        let account = self.pipeline.account
        return InputFilter(
            accountName: account.name,
            container: consumer.inputContainer,
            prefix: consumer.inputPrefix,
            excludedPrefixes: [(consumer.outputContainer, consumer.outputPrefix)],
            blobEndpointHost: account.blobEndpointHost
        )
    }

    func openStore() throws -> CheckpointStore {
        do {
            return try CheckpointStore(
                directory: self.settings.consumer.checkpointDirectory,
                replicaID: self.settings.consumer.replicaID
            )
        } catch {
            self.logger.critical("cannot use the checkpoint folder", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}
