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
        abstract:
            "Run the whole loop locally: development storage, Event Grid emulation, the consumer and the sample app.",
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

    @Option(
        help: ArgumentHelp(
            "Run this program instead of the sample app ({input} {output} {name} {stem} are replaced).",
            valueName: "command line"
        )
    )
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
        // The folder first: a second `blobflow dev` here must refuse before it touches anything.
        let folderLock: DataFolderLock
        do {
            folderLock = try DataFolderLock(folder: location)
        } catch {
            Self.fail("\(error)")
        }
        // Then every configuration problem, before a port is bound.
        let values = try self.settingsValues(location: location)
        var probe = values
        let account = DevStorageConfiguration.developmentAccountName
        probe.flags[SettingKey.connectionString.name] =
            "DefaultEndpointsProtocol=http;AccountName=\(account);AccountKey=\(DevStorageConfiguration.developmentAccountKey);"
            + "BlobEndpoint=http://\(self.host):\(max(self.blobPort, 1))/\(account);QueueEndpoint=http://\(self.host):\(max(self.queuePort, 1))/\(account);"
        let grace: Duration
        do {
            grace = try BlobflowSettings.load(probe).consumer.shutdownGracePeriod
        } catch {
            FileHandle.standardError.write(Data("blobflow: \(error)\n".utf8))
            throw ExitCode(2)
        }
        await SignalBackstop.install(command: "blobflow dev", limit: grace + .seconds(15))
        do {
            try ListenPortCheck.ensureFree(
                host: self.host,
                [
                    .init(port: self.blobPort, what: "blob service", flag: "--blob-port"),
                    .init(port: self.queuePort, what: "queue service", flag: "--queue-port"),
                ]
            )
        } catch {
            Self.fail("\(error)")
        }

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
            Self.fail("cannot start the development storage server: \(error)")
        }
        let loop = DevLoopStarter(ready: ready) { [options = self.loopOptions(location: location)] endpoints in
            try await Self.runLoop(endpoints: endpoints, values: values, options: options)
        }
        // The loop is listed last so a shutdown stops it first and the server after it: in-flight
        // work still reaches storage.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: server, failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(
                        service: loop,
                        successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup
                    ),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: serverLogger
            )
        )
        do {
            try await group.run()
        } catch let error as DevStorageListenError {
            Self.fail("\(error)")
        }
        withExtendedLifetime(folderLock) {}
    }

    /// What the loop needs from the command line, as a value the loop's task can hold.
    struct LoopOptions: Sendable {
        var drop: String
        var outputs: String
        var location: String
        var verbose: Bool
    }

    private func loopOptions(location: String) -> LoopOptions {
        LoopOptions(drop: self.drop, outputs: self.outputs, location: location, verbose: self.verbose)
    }

    /// The settings of the consumer: environment, --env-file, flags and the development defaults.
    /// The storage account is added once the server has its ports.
    private func settingsValues(location: String) throws -> SettingsValues {
        let flags = try self.options.flagValues()
        // The account is always the local one, whatever the environment or a file says about Azure;
        // a .env file is read only when named (the working folder's may hold production settings).
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AZURE_STORAGE_") }
        var file = try self.options.envFile.map { try EnvironmentFile(contentsOf: $0) }
        if let values = file?.values { file?.values = values.filter { !$0.key.hasPrefix("AZURE_STORAGE_") } }
        var values = SettingsValues(flags: flags, processEnvironment: environment, file: file)
        if let command = self.command {
            values.flags[SettingKey.processor.name] = "command"
            values.flags[SettingKey.command.name] = command
        }
        if values[.processor] == nil {
            let sample = try SampleApp.install(at: location + "/sample-app.sh")
            values.flags[SettingKey.processor.name] = "command"
            values.flags[SettingKey.command.name] = sample.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(
                separator: " "
            )
        }
        // Short waits: the queue and the output container are local, and a dropped file should
        // show its results in well under a second.
        let defaults: [SettingKey: String] = [
            .checkpointDirectory: location + "/checkpoints", .workDirectory: location + "/work", .logFormat: "text",
            .maxPollInterval: "200ms", .minPollInterval: "50ms", .retryDelay: "2s", .maxRetryDelay: "10s",
            .maxDequeueCount: "3", .visibilityTimeout: "60", .shutdownGrace: "5s", .replicaID: "dev",
            .transfer: "native",
        ]
        for (key, value) in defaults where values[key] == nil {
            values.flags[key.name] = value
        }
        return values
    }

    private static func runLoop(
        endpoints: DevStorageEndpoints,
        values: SettingsValues,
        options: LoopOptions
    ) async throws {
        var values = values
        values.flags[SettingKey.connectionString.name] = endpoints.connectionString()
        let location = options.location
        let hidden: Set<String> = options.verbose ? [] : ["message_id", "dequeue_count", "replica", "event_id"]
        let runtime = try Runtime.start(
            values,
            hiddenMetadata: hidden,
            isHidden: options.verbose ? nil : Self.isStepDetail
        )
        let store = try runtime.openStore()
        let settings = runtime.settings
        let logger = runtime.logger
        let input = runtime.pipeline.container(settings.consumer.inputContainer)
        let output = runtime.pipeline.container(settings.consumer.outputContainer)
        _ = try await input.createIfNotExists()
        _ = try await output.createIfNotExists()

        let processor = try ProcessorFactory.make(settings, pipeline: runtime.pipeline, logger: logger)
        let consumer = Consumer(
            configuration: settings.consumer,
            pipeline: runtime.pipeline,
            store: store,
            processor: processor,
            logger: logger
        )
        let dropTimes = DropTimes()
        let uploader = DropFolderUploader(
            folder: options.drop,
            container: input,
            stateFile: location + "/dropped.json",
            dropTimes: dropTimes,
            logger: logger
        )
        let mirror = OutputMirror(
            container: output,
            folder: options.outputs,
            stateFile: location + "/mirrored.json",
            interval: .milliseconds(100),
            dropTimes: dropTimes,
            logger: logger
        )

        let failures = DevFailureReporter(
            store: store,
            container: settings.consumer.inputContainer,
            outputs: options.outputs,
            interval: .milliseconds(500),
            logger: logger
        )

        // The same settings for `blobflow status` and `--replay-dead-letters` in another terminal.
        let envFile = location + "/dev.env"
        let exported = [
            "AZURE_STORAGE_CONNECTION_STRING=\"\(endpoints.connectionString())\"",
            "BLOBFLOW_CHECKPOINT_DIR=\"\(settings.consumer.checkpointDirectory)\"",
            "BLOBFLOW_LOG_FORMAT=text",
        ]
        try (exported.joined(separator: "\n") + "\n").write(toFile: envFile, atomically: true, encoding: .utf8)

        // Commands that work when pasted: this very binary (blobflow need not be on PATH), and
        // paths relative to the working folder where that is shorter.
        let blobflow = Self.shellWord(Self.relative(Self.executablePath()))
        let envArgument = Self.shellWord(Self.relative(envFile))
        let banner = [
            "",
            "blobflow dev is running.",
            "  Drop files into  \(options.drop)/   (sub-folders become blob name prefixes)",
            "  Results appear in \(options.outputs)/<file name>/   (_manifest.json is written last)",
            "  App: \(settings.command.joined(separator: " "))",
            "  Storage: \(endpoints.blobEndpoint()) and \(endpoints.queueEndpoint()) (account devstoreaccount1)",
            "  Other tools: the connection string is in \(envArgument) (UseDevelopmentStorage=true on the default ports)",
            "  Status:   \(blobflow) status --env-file \(envArgument)",
            "  Replay:   \(blobflow) --replay-dead-letters --env-file \(envArgument)",
            "  Press Ctrl-C to stop.",
            "",
        ]
        FileHandle.standardOutput.write(Data(banner.joined(separator: "\n").utf8))

        // No signals of its own: the command's group shuts this one down, before the server.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(
                        service: consumer,
                        successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup
                    ),
                    .init(service: uploader, failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: mirror, failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: failures),
                ],
                logger: logger
            )
        )
        try await group.run()
    }

    /// Without --verbose, the screen shows one line per finished file (the output mirror's): the
    /// routine lines of each step on the way are left out. Anything at notice or above stays.
    @Sendable static func isStepDetail(_ event: LogEvent) -> Bool {
        guard event.level <= .info else { return false }
        if event.metadata?["step"] != nil { return true }
        return ["completed", "uploaded a dropped file"].contains("\(event.message)")
    }

    /// Prints `blobflow dev: MESSAGE` and exits 1.
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("blobflow dev: \(message)\n".utf8))
        Foundation.exit(1)
    }

    /// The running binary's path.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// `path` relative to the working folder when it is inside it, else unchanged.
    static func relative(_ path: String) -> String {
        let here = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(here) ? String(path.dropFirst(here.count)) : path
    }

    /// `word` quoted for a POSIX shell when it needs to be.
    static func shellWord(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:,@".contains($0) }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }
}

/// Waits for the development storage server to be ready, then runs the loop; a shutdown (or the
/// server failing to start) while it waits ends it without starting anything.
struct DevLoopStarter: Service {
    let ready: AsyncStream<DevStorageEndpoints>
    let start: @Sendable (DevStorageEndpoints) async throws -> Void

    func run() async throws {
        let ready = self.ready
        // Cancelled by a shutdown, the wait ends with nil.
        let endpoints = await cancelWhenGracefulShutdown { () async -> DevStorageEndpoints? in
            var iterator = ready.makeAsyncIterator()
            return await iterator.next()
        }
        guard let endpoints else { return }
        try await self.start(endpoints)
    }
}
