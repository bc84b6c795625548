import ArgumentParser

/// `--replay-dead-letters` and its filters, accepted by `blobflow` itself and by `blobflow run`.
struct ReplayOptions: ParsableArguments {
    @Flag(help: "Move dead-lettered messages from the poison queue back to the work queue and reset their checkpoints.")
    var replayDeadLetters = false

    @Flag(help: "With --replay-dead-letters: list what would move, move nothing.")
    var dryRun = false

    @Option(name: .customLong("blob"), help: ArgumentHelp("Only blobs whose name matches this pattern (* and ?).", valueName: "pattern"))
    var blobPattern: String?

    @Option(name: .customLong("event-id"), help: ArgumentHelp("Only the event with this id.", valueName: "id"))
    var eventID: String?

    @Option(help: ArgumentHelp("Only dead letters older than this (e.g. 2h, 7d).", valueName: "age"))
    var olderThan: String?

    @Option(help: ArgumentHelp("Only dead letters newer than this (e.g. 30m).", valueName: "age"))
    var newerThan: String?

    @Option(help: ArgumentHelp("Move at most this many.", valueName: "count"))
    var limit: Int?

    /// Whether any replay-only option was given without the flag that enables replay.
    var hasFiltersWithoutReplay: Bool {
        !self.replayDeadLetters && (self.dryRun || self.blobPattern != nil || self.eventID != nil || self.olderThan != nil
            || self.newerThan != nil || self.limit != nil)
    }

    func validate() throws {
        if self.hasFiltersWithoutReplay {
            throw ValidationError("--dry-run, --blob, --event-id, --older-than, --newer-than and --limit go with --replay-dead-letters")
        }
        if let limit = self.limit, limit < 1 {
            throw ValidationError("--limit must be at least 1")
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
