import ArgumentParser
import Foundation
import Settings

/// The flags every command that talks to storage accepts. Each flag sets the variable of the same
/// meaning and wins over the environment and the `.env` file.
struct ConfigurationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Read variables from this file (default: ./.env when present).", valueName: "path"))
    var envFile: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Set any configuration variable (repeatable).", valueName: "NAME=VALUE")
    )
    var assignments: [String] = []

    @Option(help: ArgumentHelp("Work queue (BLOBFLOW_QUEUE).", valueName: "name"))
    var queue: String?

    @Option(help: ArgumentHelp("Poison queue (BLOBFLOW_POISON_QUEUE).", valueName: "name"))
    var poisonQueue: String?

    @Option(help: ArgumentHelp("Input container (BLOBFLOW_INPUT_CONTAINER).", valueName: "name"))
    var inputContainer: String?

    @Option(help: ArgumentHelp("Input prefix (BLOBFLOW_INPUT_PREFIX).", valueName: "prefix"))
    var inputPrefix: String?

    @Option(help: ArgumentHelp("Output container (BLOBFLOW_OUTPUT_CONTAINER).", valueName: "name"))
    var outputContainer: String?

    @Option(help: ArgumentHelp("Output prefix (BLOBFLOW_OUTPUT_PREFIX).", valueName: "prefix"))
    var outputPrefix: String?

    @Option(help: ArgumentHelp("Checkpoint folder (BLOBFLOW_CHECKPOINT_DIR).", valueName: "path"))
    var checkpointDir: String?

    @Option(help: ArgumentHelp("Staging folder (BLOBFLOW_WORK_DIR).", valueName: "path"))
    var workDir: String?

    @Option(help: ArgumentHelp("Log format: json or text (BLOBFLOW_LOG_FORMAT).", valueName: "format"))
    var logFormat: String?

    @Option(help: ArgumentHelp("Log level (BLOBFLOW_LOG_LEVEL).", valueName: "level"))
    var logLevel: String?

    /// The flags as variable assignments.
    func flagValues() throws -> [String: String] {
        var flags: [String: String] = [:]
        for assignment in self.assignments {
            guard let equals = assignment.firstIndex(of: "="), assignment.startIndex != equals else {
                throw ValidationError("--set expects NAME=VALUE, got '\(assignment)'")
            }
            let name = String(assignment[..<equals])
            guard SettingKey.named(name) != nil else {
                throw ValidationError("--set \(name): blobflow has no such variable (see example.env)")
            }
            flags[name] = String(assignment[assignment.index(after: equals)...])
        }
        let named: [(SettingKey, String?)] = [
            (.queue, self.queue), (.poisonQueue, self.poisonQueue), (.inputContainer, self.inputContainer),
            (.inputPrefix, self.inputPrefix), (.outputContainer, self.outputContainer),
            (.outputPrefix, self.outputPrefix),
            (.checkpointDirectory, self.checkpointDir), (.workDirectory, self.workDir), (.logFormat, self.logFormat),
            (.logLevel, self.logLevel),
        ]
        for case (let key, let value?) in named { flags[key.name] = value }
        return flags
    }

    /// Every layer of configuration: these flags plus `extra`, the environment, the `.env` file.
    func values(extra: [String: String] = [:]) throws -> SettingsValues {
        var flags = try self.flagValues()
        flags.merge(extra) { _, new in new }
        var file: EnvironmentFile?
        if let path = self.envFile {
            file = try EnvironmentFile(contentsOf: path)
        } else if FileManager.default.fileExists(atPath: ".env") {
            file = try EnvironmentFile(contentsOf: ".env")
        }
        return SettingsValues(flags: flags, processEnvironment: ProcessInfo.processInfo.environment, file: file)
    }
}
