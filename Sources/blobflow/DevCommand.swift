import ArgumentParser
import Consumer
import DevLoop
import DevStorage
import Foundation
import Logging
import ServiceLifecycle
import Settings
import StorageClient
import UnixSignals

/// `blobflow dev`: the whole loop on one machine. Drop a file into ./drop, watch its outputs
/// appear in ./outputs.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run the whole loop locally: development storage, Event Grid emulation, the consumer and the sample app.",
        discussion: """
            Files dropped into the drop folder are uploaded into the 'input' container; each upload raises a \
            BlobCreated event on 'blobflow-events'; the consumer downloads the file, runs the app on it and \
            uploads the results to 'output', which is mirrored into the outputs folder. The app is the sample \
            app (a checksum report and an upper-cased copy) unless --command or BLOBFLOW_PROCESSOR/BLOBFLOW_COMMAND \
            say otherwise. BLOBFLOW_* variables and --set apply as for 'blobflow run'; the storage account is \
            always the local development one.
            """
    )

    @Option(help: ArgumentHelp("Folder whose files are uploaded into the input container.", valueName: "path"))
    var drop = "drop"

    @Option(help: ArgumentHelp("Folder the output container is mirrored into.", valueName: "path"))
    var outputs = "outputs"

    @Option(help: ArgumentHelp("Folder for the server's data, checkpoints and staging.", valueName: "path"))
    var location = ".blobflow/dev"

    @Option(help: "Address the development storage server listens on.")
    var host = "127.0.0.1"

    @Option(help: "Blob service port (0 picks a free port).")
    var blobPort = 10000

    @Option(help: "Queue service port (0 picks a free port).")
    var queuePort = 10001

    @Option(help: ArgumentHelp("Run this program instead of the sample app ({input} {output} {name} {stem} are replaced).", valueName: "command line"))
    var command: String?

    // The same group as the root command's, so its flags (--set, --log-level, ...) reach `dev`
    // rather than being taken by the root.
    @OptionGroup(title: "Configuration")
    var options: ConfigurationOptions

    @Flag(help: "Show every log field (message ids, dequeue counts, ...).")
    var verbose = false

    func run() async throws {
        // Absolute, because the app runs in its own staging folder.
        let location = Self.absolute(self.location)
        try FileManager.default.createDirectory(atPath: location, withIntermediateDirectories: true)
        var storageConfiguration = DevStorageConfiguration()
        storageConfiguration.host = self.host
        storageConfiguration.blobPort = self.blobPort
        storageConfiguration.queuePort = self.queuePort
        storageConfiguration.location = location + "/storage"
        storageConfiguration.subscriptions = [.default]
        var serverLogger = Logger(label: "blobflow.devstore")
        serverLogger.logLevel = .warning

        let (ready, readyContinuation) = AsyncStream.makeStream(of: DevStorageEndpoints.self)
        let server: DevStorageServer
        do {
            server = try DevStorageServer(configuration: storageConfiguration, logger: serverLogger) { endpoints in
                readyContinuation.yield(endpoints)
                readyContinuation.finish()
            }
        } catch {
            FileHandle.standardError.write(Data("blobflow dev: cannot start the development storage server: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let serverGroup = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: serverLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await serverGroup.run() }
            var iterator = ready.makeAsyncIterator()
            guard let endpoints = await iterator.next() else {
                FileHandle.standardError.write(Data("blobflow dev: the development storage server stopped before it was ready (is port \(self.blobPort) or \(self.queuePort) taken? try --blob-port 0 --queue-port 0)\n".utf8))
                throw ExitCode(1)
            }
            do {
                try await self.runLoop(endpoints: endpoints, location: location)
            } catch {
                await serverGroup.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await serverGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    private func runLoop(endpoints: DevStorageEndpoints, location: String) async throws {
        let flags = try self.options.flagValues()
        // The account is always the local one, whatever the environment or a file says about Azure;
        // a .env file is read only when named (the working folder's may hold production settings).
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AZURE_STORAGE_") }
        var file = try self.options.envFile.map { try EnvironmentFile(contentsOf: $0) }
        if let values = file?.values { file?.values = values.filter { !$0.key.hasPrefix("AZURE_STORAGE_") } }
        var values = SettingsValues(flags: flags, processEnvironment: environment, file: file)
        values.flags[SettingKey.connectionString.name] = endpoints.connectionString()
        if let command = self.command {
            values.flags[SettingKey.processor.name] = "command"
            values.flags[SettingKey.command.name] = command
        }
        if values[.processor] == nil {
            let sample = try SampleApp.install(at: location + "/sample-app.sh")
            values.flags[SettingKey.processor.name] = "command"
            values.flags[SettingKey.command.name] = sample.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
        }
        let defaults: [SettingKey: String] = [
            .checkpointDirectory: location + "/checkpoints", .workDirectory: location + "/work", .logFormat: "text",
            .maxPollInterval: "500ms", .minPollInterval: "50ms", .retryDelay: "2s", .maxRetryDelay: "10s",
            .maxDequeueCount: "3", .visibilityTimeout: "60", .shutdownGrace: "5s", .replicaID: "dev", .transfer: "native",
        ]
        for (key, value) in defaults where values[key] == nil {
            values.flags[key.name] = value
        }
        let hidden: Set<String> = self.verbose ? [] : ["message_id", "dequeue_count", "replica", "event_id"]
        let runtime = try Runtime.start(values, hiddenMetadata: hidden)
        let store = try runtime.openStore()
        let settings = runtime.settings
        let logger = runtime.logger
        let input = runtime.pipeline.container(settings.consumer.inputContainer)
        let output = runtime.pipeline.container(settings.consumer.outputContainer)
        _ = try await input.createIfNotExists()
        _ = try await output.createIfNotExists()

        let processor = try ProcessorFactory.make(settings, pipeline: runtime.pipeline, logger: logger)
        let consumer = Consumer(configuration: settings.consumer, pipeline: runtime.pipeline, store: store, processor: processor, logger: logger)
        let uploader = DropFolderUploader(folder: self.drop, container: input, stateFile: location + "/dropped.json", logger: logger)
        let mirror = OutputMirror(container: output, folder: self.outputs, logger: logger)

        // The same settings for `blobflow status` and `--replay-dead-letters` in another terminal.
        let envFile = location + "/dev.env"
        let exported = [
            "AZURE_STORAGE_CONNECTION_STRING=\"\(endpoints.connectionString())\"",
            "BLOBFLOW_CHECKPOINT_DIR=\"\(settings.consumer.checkpointDirectory)\"",
            "BLOBFLOW_LOG_FORMAT=text",
        ]
        try (exported.joined(separator: "\n") + "\n").write(toFile: envFile, atomically: true, encoding: .utf8)

        let banner = [
            "",
            "blobflow dev is running.",
            "  Drop files into  \(self.drop)/   (sub-folders become blob name prefixes)",
            "  Results appear in \(self.outputs)/<file name>/   (_manifest.json is written last)",
            "  App: \(settings.command.joined(separator: " "))",
            "  Storage: \(endpoints.blobEndpoint()) and \(endpoints.queueEndpoint()) (account devstoreaccount1)",
            "  Other tools: the connection string is in \(envFile) (UseDevelopmentStorage=true on the default ports)",
            "  Status: blobflow status --env-file \(envFile)   (also for --replay-dead-letters)",
            "  Press Ctrl-C to stop.",
            "",
        ]
        FileHandle.standardOutput.write(Data(banner.joined(separator: "\n").utf8))

        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: consumer, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: uploader, failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: mirror, failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }
}
