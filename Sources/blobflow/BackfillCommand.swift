import ArgumentParser
import BlobEvents
import Consumer
import Foundation
import Logging
import Operations
import Settings
import StorageClient
import StorageCore

/// `blobflow backfill`: enqueue events for blobs that were never processed.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Enqueue a BlobCreated event for every blob in the input container that was never processed.",
        discussion: """
            Event Grid reports only blobs created after its subscription exists. backfill lists the input container and, \\
            for each blob version without a completed or dead-lettered checkpoint record, puts on the work queue the event \\
            Event Grid would have sent (id blobflow-backfill-...). Outputs, directory markers and names outside the input \\
            prefix are skipped exactly as the consumer skips them. Running it twice is harmless: repeats are duplicates.
            """
    )

    @OptionGroup(title: "Configuration")
    var options: ConfigurationOptions

    @Option(
        help: ArgumentHelp(
            "Only blobs whose name starts with this (within BLOBFLOW_INPUT_PREFIX).",
            valueName: "prefix"
        )
    )
    var prefix: String?

    @Option(
        help: ArgumentHelp(
            "Only blobs last modified since this time: an ISO 8601 date (2026-11-20, 2026-11-20T08:00Z) or an age (90m, 7d).",
            valueName: "time"
        )
    )
    var modifiedSince: String?

    @Option(help: ArgumentHelp("Enqueue at most this many events.", valueName: "count"))
    var limit: Int?

    @Flag(help: "List what would be enqueued, send nothing.")
    var dryRun = false

    @OptionGroup
    var output: OutputOptions

    /// `--dry-run` and `--limit` are also the root command's replay options, and the root's
    /// parser takes them first: read them from both.
    @ParentCommand var root: Blobflow

    private var isDryRun: Bool { self.dryRun || self.root.replay.dryRun }
    private var maximum: Int? { self.limit ?? self.root.replay.limit }

    func validate() throws {
        if let limit = self.maximum, limit < 1 {
            throw ValidationError("--limit must be at least 1")
        }
        if let text = self.modifiedSince, Self.parseTime(text, now: Date()) == nil {
            throw ValidationError(
                "--modified-since: '\(text)' is neither an ISO 8601 date (2026-11-20T08:00Z) nor an age (90m, 7d)"
            )
        }
    }

    func run() async throws {
        let runtime = try Runtime.start(self.options, defaultLogFormat: .text)
        let store = try runtime.openStore()
        let consumer = runtime.settings.consumer
        let backfiller = Backfiller(
            container: runtime.pipeline.container(consumer.inputContainer),
            queue: runtime.pipeline.queue(consumer.queueName),
            store: store,
            inputFilter: runtime.inputFilter(),
            logger: runtime.logger
        )
        let options = Backfiller.Options(
            prefix: self.prefix,
            modifiedSince: self.modifiedSince.flatMap { Self.parseTime($0, now: Date()) },
            limit: self.maximum,
            dryRun: self.isDryRun
        )
        let progress = ProgressLine()
        let report: BackfillReport
        do {
            report = try await backfiller.run(options) { counts in progress.show(counts) }
        } catch {
            runtime.logger.error("backfill failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        print(self.output.json ? try report.json() : report.table())
        if report.counts.failed > 0 { throw ExitCode(1) }
    }

    /// An ISO 8601 time, or that long ago for an age such as `7d`.
    static func parseTime(_ text: String, now: Date) -> Date? {
        if let date = StorageDate(iso8601: text) {
            return Date(timeIntervalSince1970: date.timeIntervalSince1970)
        }
        guard let age = BlobflowSettings.parseDuration(text) else { return nil }
        return now.addingTimeInterval(-age.fractionalSeconds)
    }
}

/// Running totals on standard error, at most once a second, while a large container is listed.
private final class ProgressLine {
    private var last = ContinuousClock.now - .seconds(1)

    func show(_ counts: BackfillReport.Counts) {
        let now = ContinuousClock.now
        guard now - self.last >= .seconds(1) else { return }
        self.last = now
        let line =
            "backfill: listed \(counts.listed), already done \(counts.done), skipped \(counts.skippedTotal), enqueued \(counts.enqueued)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
