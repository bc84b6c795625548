import ArgumentParser

/// `--replay-dead-letters` and its filters, accepted by `blobflow` itself and by `blobflow run`.
struct ReplayOptions: ParsableArguments {
    @Flag(help: "Move dead-lettered messages from the poison queue back to the work queue and reset their checkpoints.")
    var replayDeadLetters = false

    @Flag(help: "With --replay-dead-letters: list what would move, move nothing.")
    var dryRun = false

    @Option(
        name: .customLong("blob"),
        help: ArgumentHelp("Only blobs whose name matches this pattern (* and ?).", valueName: "pattern")
    )
    var blobPattern: String?

    @Option(name: .customLong("event-id"), help: ArgumentHelp("Only the event with this id.", valueName: "id"))
    var eventID: String?

    @Option(help: ArgumentHelp("Only dead letters older than this (e.g. 2h, 7d).", valueName: "age"))
    var olderThan: String?

    @Option(help: ArgumentHelp("Only dead letters newer than this (e.g. 30m).", valueName: "age"))
    var newerThan: String?

    @Option(help: ArgumentHelp("Move at most this many.", valueName: "count"))
    var limit: Int?

    @Option(
        name: .customLong("from-event-grid"),
        help: ArgumentHelp(
            "With --replay-dead-letters: replay Event Grid's own dead-letter blobs from this container (\(Self.defaultEventGridContainer) when no name follows) instead of the poison queue.",
            valueName: "container"
        )
    )
    var fromEventGrid: String?

    /// The dead-letter container `infra/` gives the Event Grid subscription.
    static let defaultEventGridContainer = "eventgrid-deadletters"

    /// The command line with a bare `--from-event-grid` (last, or followed by another option)
    /// given its default container, since an option's value cannot be optional.
    static func expandingBareEventGridFlag(_ arguments: [String]) -> [String] {
        var result: [String] = []
        for (index, argument) in arguments.enumerated() {
            let next = index + 1 < arguments.count ? arguments[index + 1] : nil
            if argument == "--from-event-grid", next == nil || next!.hasPrefix("-") {
                result.append("--from-event-grid=\(Self.defaultEventGridContainer)")
            } else {
                result.append(argument)
            }
        }
        return result
    }

    /// Whether any replay-only option was given without the flag that enables replay.
    var hasFiltersWithoutReplay: Bool {
        !self.replayDeadLetters
            && (self.dryRun || self.blobPattern != nil || self.eventID != nil || self.olderThan != nil
                || self.newerThan != nil || self.limit != nil || self.fromEventGrid != nil)
    }

    /// Refuses replay filters given without `--replay-dead-letters`. Called by the commands that
    /// replay (`blobflow`, `blobflow run`), not from `validate()`: the root command's options are
    /// parsed for every subcommand too, and `blobflow backfill --dry-run --limit 5` is not a replay.
    func requireReplayFlag() throws {
        if self.hasFiltersWithoutReplay {
            throw ValidationError(
                "--dry-run, --blob, --event-id, --older-than, --newer-than, --limit and --from-event-grid go with --replay-dead-letters"
            )
        }
    }

    func validate() throws {
        if let limit = self.limit, limit < 1 {
            throw ValidationError("--limit must be at least 1")
        }
        if let container = self.fromEventGrid, container.isEmpty || container.contains("/") {
            throw ValidationError("--from-event-grid takes a container name, not '\(container)'")
        }
    }
}

/// `--json`: machine-readable output. One shared group, so that `blobflow status --json` and
/// `blobflow --replay-dead-letters --json` both see it (the root command's options are parsed
/// for subcommands too).
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of a table.")
    var json = false
}
