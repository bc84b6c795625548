import ArgumentParser
import Settings

/// The `blobflow` command.
@main
struct Blobflow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blobflow",
        abstract: "Process files dropped into Azure Blob Storage, driven by Event Grid events on a Storage Queue.",
        discussion: """
            With --replay-dead-letters (and no subcommand) it moves dead letters back to the work queue, prints what moved, and \
            exits; with --from-event-grid it replays the events Event Grid could not deliver instead.
            """,
        version: "0.1.0",
        subcommands: [
            RunCommand.self, StatusCommand.self, BackfillCommand.self, DevCommand.self, DevstoreCommand.self,
            HealthcheckCommand.self,
        ]
    )

    @OptionGroup(title: "Configuration")
    var options: ConfigurationOptions

    @OptionGroup(title: "Replay")
    var replay: ReplayOptions

    @OptionGroup
    var output: OutputOptions

    /// Makes blobflow not dumpable before anything else runs (see ``ProcessProtection``), then
    /// parses the command line (a bare `--from-event-grid` given its default container) and runs
    /// the command.
    static func main() async {
        ProcessProtection.makeNotDumpable()
        await Self.main(ReplayOptions.expandingBareEventGridFlag(Array(CommandLine.arguments.dropFirst())))
    }

    func run() async throws {
        // Here rather than in validate(): a parent's validate() runs for its subcommands too.
        try self.replay.requireReplayFlag()
        guard self.replay.replayDeadLetters else {
            throw CleanExit.helpRequest(self)
        }
        let runtime = try Runtime.start(self.options, defaultLogFormat: .text)
        let store = try runtime.openStore()
        try await ReplayCommandSupport.replay(self.replay, json: self.output.json, runtime: runtime, store: store)
    }
}
