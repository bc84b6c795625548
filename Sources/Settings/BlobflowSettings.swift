public import Consumer
import Foundation
public import Logging
import Processing

/// blobflow's whole configuration, read in one place from flags, the environment and a `.env`
/// file, and validated at once: ``load(_:)`` reports every problem together.
public struct BlobflowSettings: Sendable {
    /// The processors this build offers.
    public enum ProcessorKind: String, Sendable, CaseIterable {
        /// Checkpoint and acknowledge without transfers (draining, measuring queue overhead).
        case noop
        /// Download, run a local program, upload what it wrote.
        case command
        /// Download, run the app's image under docker or podman, upload what it wrote.
        case container
    }

    /// How blobs and outputs move.
    public enum TransferKind: String, Sendable, CaseIterable {
        /// Microsoft's azcopy, once per file.
        case azcopy
        /// blobflow's own parallel engine.
        case native
        /// Native for files under 64 MiB (azcopy's start-up costs seconds), azcopy above.
        case auto
    }

    /// Transfer and container settings for the processors.
    public struct ProcessorSettings: Sendable {
        /// The engine chosen (azcopy when none was named and an azcopy binary exists).
        public var transfer: TransferKind = .native
        /// The azcopy binary, when one was found.
        public var azcopyPath: String?
        /// `nil` for a SAS per blob, else azcopy's auto-login type (MSI).
        public var azcopyLogin: String?
        /// Parallel block requests per file.
        public var transferConcurrency: Int = 16
        /// Block size in MiB.
        public var blockSizeMiB: Int = 8
        /// The container engine (name or path), for the container processor.
        public var containerEngine: String?
        /// The app's image.
        public var image: String?
        /// The container network; nil keeps it offline.
        public var containerNetwork: String?
        /// CPU limit.
        public var containerCPUs: String?
        /// Memory limit.
        public var containerMemory: String?
        /// Extra read-only mounts, host and container paths.
        public var containerMounts: [(host: String, container: String)] = []
        /// Names passed into the container's environment.
        public var containerEnvironment: [String] = []
    }

    /// The account and its credential.
    public var storage: StorageSettings
    /// The consumer's settings.
    public var consumer: ConsumerConfiguration
    /// Which processor runs.
    public var processor: ProcessorKind
    /// The app's program and arguments (placeholders unreplaced).
    public var command: [String]
    /// Transfer and container settings.
    public var processing: ProcessorSettings
    /// Log lines as JSON objects or text.
    public var logFormat: LogFormat
    /// The lowest level logged.
    public var logLevel: Logger.Level
    /// The port of the operations endpoints (/healthz, /readyz, /metrics); nil: off.
    public var httpPort: Int?
    /// The address the operations endpoints listen on.
    public var httpHost: String
    /// The environment children and credentials see (file, then process, then flags).
    public var environment: [String: String]
    /// Things that work but deserve a look (an unknown BLOBFLOW_ variable, ...).
    public var warnings: [String]

    /// Reads and validates everything; throws one error listing every problem.
    public static func load(_ values: SettingsValues) throws(SettingsError) -> BlobflowSettings {
        var problems: [String] = []
        var warnings: [String] = []
        let storage = StorageSettings.read(values, problems: &problems)
        var consumer = ConsumerConfiguration()

        func name(_ key: SettingKey, kind: String, default fallback: String) -> String {
            let value = values[key] ?? fallback
            if let problem = ValueParsing.resourceNameProblem(value, kind: kind) {
                problems.append("\(key): \(problem)")
            }
            return value
        }
        func integer(_ key: SettingKey, default fallback: Int, range: ClosedRange<Int>) -> Int {
            guard let text = values[key] else { return fallback }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                problems.append(
                    "\(key): '\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)"
                )
                return fallback
            }
            return value
        }
        func duration(_ key: SettingKey, default fallback: Duration?, minimum: Duration = .zero) -> Duration? {
            guard let text = values[key] else { return fallback }
            guard let value = ValueParsing.duration(text), value >= minimum else {
                problems.append(
                    "\(key): '\(text)' is not a duration of at least \(minimum) (examples: 30, 30s, 500ms, 5m, 2h, 7d)"
                )
                return fallback
            }
            return value
        }
        func prefix(_ key: SettingKey) -> String {
            let value = values[key] ?? ""
            if value.hasPrefix("/") { problems.append("\(key): '\(value)' must not start with '/'") }
            return value
        }

        consumer.queueName = name(.queue, kind: "queue", default: "blobflow-events")
        if values[.poisonQueue] == nil, ValueParsing.resourceNameProblem(consumer.queueName, kind: "queue") != nil {
            consumer.poisonQueueName = consumer.queueName + "-poison"  // its problem is already reported
        } else {
            consumer.poisonQueueName = name(.poisonQueue, kind: "queue", default: "\(consumer.queueName)-poison")
        }
        if consumer.poisonQueueName == consumer.queueName {
            problems.append("\(SettingKey.poisonQueue) must differ from \(SettingKey.queue) ('\(consumer.queueName)')")
        }
        consumer.inputContainer = name(.inputContainer, kind: "container", default: "input")
        consumer.inputPrefix = prefix(.inputPrefix)
        consumer.outputContainer = name(.outputContainer, kind: "container", default: "output")
        consumer.outputPrefix = prefix(.outputPrefix)
        if let loop = Self.feedbackLoop(consumer) { problems.append(loop) }

        consumer.checkpointDirectory = values[.checkpointDirectory] ?? "/mnt/azurefiles/blobflow"
        consumer.workDirectory = values[.workDirectory] ?? consumer.checkpointDirectory + "/work"
        consumer.checkpointRetention =
            duration(.checkpointRetention, default: .seconds(7 * 86_400), minimum: .seconds(60)) ?? .seconds(7 * 86_400)
        consumer.replicaID = values[.replicaID] ?? Self.defaultReplicaID(values)

        consumer.concurrency = integer(.concurrency, default: 4, range: 1...1024)
        consumer.batchSize = integer(.batchSize, default: 16, range: 1...32)
        consumer.visibilityTimeout = integer(.visibilityTimeout, default: 300, range: 10...604_800)
        consumer.maxDequeueCount = integer(.maxDequeueCount, default: 5, range: 1...1000)
        consumer.minPollInterval =
            duration(.minPollInterval, default: .milliseconds(100), minimum: .milliseconds(10)) ?? .milliseconds(100)
        consumer.maxPollInterval =
            duration(.maxPollInterval, default: .seconds(30), minimum: .milliseconds(10)) ?? .seconds(30)
        if consumer.minPollInterval > consumer.maxPollInterval {
            problems.append(
                "\(SettingKey.minPollInterval) (\(consumer.minPollInterval)) is longer than \(SettingKey.maxPollInterval) (\(consumer.maxPollInterval))"
            )
        }
        consumer.retryDelay = duration(.retryDelay, default: .seconds(10)) ?? .seconds(10)
        consumer.maxRetryDelay = duration(.maxRetryDelay, default: .seconds(600)) ?? .seconds(600)
        if consumer.retryDelay > consumer.maxRetryDelay {
            problems.append("\(SettingKey.retryDelay) is longer than \(SettingKey.maxRetryDelay)")
        }
        consumer.processTimeout =
            duration(.processTimeout, default: .seconds(3600), minimum: .seconds(1)) ?? .seconds(3600)
        consumer.shutdownGracePeriod = duration(.shutdownGrace, default: .seconds(30)) ?? .seconds(30)
        consumer.exitWhenIdle = duration(.exitWhenIdle, default: nil)

        var processor = ProcessorKind.noop
        if let text = values[.processor] {
            if let kind = ProcessorKind(rawValue: text.lowercased()) {
                processor = kind
            } else {
                problems.append(
                    "\(SettingKey.processor): '\(text)' is not a processor; choose one of \(ProcessorKind.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
        }
        var command: [String] = []
        if let text = values[.command] {
            if let arguments = ValueParsing.splitCommand(text), !arguments.isEmpty {
                command = arguments
            } else {
                problems.append("\(SettingKey.command): cannot split into arguments (an unclosed quote?)")
            }
        }
        if processor == .command, command.isEmpty, values[.command] == nil {
            problems.append(
                "\(SettingKey.processor)=command needs \(SettingKey.command), e.g. BLOBFLOW_COMMAND='/app/convert {input} {output}'"
            )
        }
        let (processing, processingProblems) = Self.readProcessing(values, processor: processor)
        problems += processingProblems

        var logFormat = LogFormat.json
        if let text = values[.logFormat] {
            if let format = LogFormat(rawValue: text.lowercased()) {
                logFormat = format
            } else {
                problems.append("\(SettingKey.logFormat): '\(text)' is not json or text")
            }
        }
        var logLevel = Logger.Level.info
        if let text = values[.logLevel] {
            if let level = Logger.Level(rawValue: text.lowercased()) {
                logLevel = level
            } else {
                problems.append(
                    "\(SettingKey.logLevel): '\(text)' is not one of trace, debug, info, notice, warning, error, critical"
                )
            }
        }

        var httpPort: Int?
        if values[.httpPort] != nil {
            httpPort = integer(.httpPort, default: 0, range: 0...65535)
        }
        let httpHost = values[.httpHost] ?? "0.0.0.0"

        for unknown in values.unknownBlobflowVariables {
            let suggestion = Self.closestKnownName(to: unknown).map { " (did you mean \($0)?)" } ?? ""
            warnings.append("\(unknown) is set but blobflow does not read it\(suggestion)")
        }

        guard problems.isEmpty, let storage else { throw SettingsError(problems) }
        return BlobflowSettings(
            storage: storage,
            consumer: consumer,
            processor: processor,
            command: command,
            processing: processing,
            logFormat: logFormat,
            logLevel: logLevel,
            httpPort: httpPort,
            httpHost: httpHost,
            environment: values.environment,
            warnings: warnings
        )
    }

    /// Reads the transfer and container settings. The binaries are looked up here so a missing
    /// azcopy or container engine is a start-up problem, not a failure of every event.
    static func readProcessing(_ values: SettingsValues, processor: ProcessorKind) -> (ProcessorSettings, [String]) {
        var problems: [String] = []
        func integer(_ key: SettingKey, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
            guard let text = values[key] else { return fallback }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                problems.append(
                    "\(key): '\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)"
                )
                return fallback
            }
            return value
        }
        var settings = ProcessorSettings()
        settings.transferConcurrency = integer(.transferConcurrency, 16, 1...256)
        settings.blockSizeMiB = integer(.blockSize, 8, 1...4000)
        let environment = values.environment
        let azcopy = ProgramLocator.locateAzCopy(explicitPath: values[.azcopy], environment: environment)
        if let explicit = values[.azcopy], azcopy == nil {
            problems.append("\(SettingKey.azcopy): '\(explicit)' is not an executable file")
        }
        settings.azcopyPath = azcopy
        if let text = values[.transfer] {
            if let kind = TransferKind(rawValue: text.lowercased()) {
                settings.transfer = kind
                if kind != .native, azcopy == nil, processor != .noop {
                    problems.append(
                        "\(SettingKey.transfer)=\(kind.rawValue) needs azcopy: install it or set \(SettingKey.azcopy)"
                    )
                }
            } else {
                problems.append("\(SettingKey.transfer): '\(text)' is not one of azcopy, native, auto")
            }
        } else {
            settings.transfer = azcopy == nil ? .native : .auto
        }
        if let login = values[.azcopyLogin] {
            switch login.uppercased() {
            case "SAS": settings.azcopyLogin = nil
            case "MSI": settings.azcopyLogin = "MSI"
            default: problems.append("\(SettingKey.azcopyLogin): '\(login)' is not sas or MSI")
            }
        }
        settings.image = values[.image]
        settings.containerNetwork = values[.containerNetwork].flatMap { $0 == "none" ? nil : $0 }
        settings.containerCPUs = values[.containerCPUs]
        settings.containerMemory = values[.containerMemory]
        for item in (values[.containerMounts] ?? "").split(separator: ",") {
            let parts = item.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].hasPrefix("/"), parts[1].hasPrefix("/") else {
                problems.append("\(SettingKey.containerMounts): '\(item)' is not HOST:CONTAINER with absolute paths")
                continue
            }
            settings.containerMounts.append((parts[0], parts[1]))
        }
        settings.containerEnvironment = (values[.containerEnvironment] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if processor == .container {
            if settings.image == nil {
                problems.append("\(SettingKey.processor)=container needs \(SettingKey.image), the app's image")
            }
            let engine = values[.containerEngine]
            settings.containerEngine = ProgramLocator.locateContainerEngine(preferred: engine, environment: environment)
            if settings.containerEngine == nil {
                problems.append(
                    engine.map { "\(SettingKey.containerEngine): '\($0)' is not an executable on PATH or a path" }
                        ?? "\(SettingKey.processor)=container needs docker or podman on PATH, or \(SettingKey.containerEngine)"
                )
            }
        }
        return (settings, problems)
    }

    /// A message when outputs would land where input events are raised: each output would raise
    /// an event that is work again, forever.
    static func feedbackLoop(_ configuration: ConsumerConfiguration) -> String? {
        guard configuration.inputContainer == configuration.outputContainer else { return nil }
        let input = configuration.inputPrefix
        let output = configuration.outputPrefix
        if !input.isEmpty, !output.isEmpty, !output.hasPrefix(input), !input.hasPrefix(output) { return nil }
        return
            "outputs would land where input events are raised (container '\(configuration.inputContainer)', input prefix '\(input)', output prefix '\(output)'): "
            + "every output would become new work, forever. Use another \(SettingKey.outputContainer), or disjoint non-empty prefixes"
    }

    private static func defaultReplicaID(_ values: SettingsValues) -> String {
        // Container Apps names each replica; Kubernetes sets HOSTNAME to the pod name.
        if let name = values.value(named: "CONTAINER_APP_REPLICA_NAME") { return name }
        if let name = values.value(named: "HOSTNAME") { return name }
        let host = ProcessInfo.processInfo.hostName
        return host.isEmpty ? "blobflow" : host
    }

    private static func closestKnownName(to name: String) -> String? {
        let candidates = SettingKey.all.map(\.name)
        let scored = candidates.map { ($0, Self.editDistance(Array($0.utf8), Array(name.utf8))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 3 else { return nil }
        return best.0
    }

    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension BlobflowSettings {
    /// Parses a duration as configuration writes them: `90` (seconds), `500ms`, `30s`, `5m`, `2h`, `7d`.
    public static func parseDuration(_ text: String) -> Duration? {
        ValueParsing.duration(text)
    }
}
