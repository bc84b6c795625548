import Foundation

/// What `blobflow backfill` found and did.
public struct BackfillReport: Sendable, Hashable, Codable {
    /// One blob version that was enqueued, would be (a dry run), or failed to be.
    public struct Row: Sendable, Hashable, Codable {
        /// The blob's name in the input container.
        public var blobName: String
        /// Its size in bytes.
        public var bytes: Int64
        /// Its eTag.
        public var eTag: String
        /// The id of the event made for it.
        public var eventID: String
        /// `enqueued`, `would-enqueue`, or `failed`.
        public var action: String
        /// Why it failed, for `failed`.
        public var error: String?

        /// Creates a row.
        public init(blobName: String, bytes: Int64, eTag: String, eventID: String, action: String, error: String? = nil)
        {
            self.blobName = blobName
            self.bytes = bytes
            self.eTag = eTag
            self.eventID = eventID
            self.action = action
            self.error = error
        }
    }

    /// Running totals, also reported while the listing goes on.
    public struct Counts: Sendable, Hashable, Codable {
        /// Blobs the listing returned.
        public var listed = 0
        /// Versions whose checkpoint record says completed: nothing to do.
        public var done = 0
        /// Versions that were dead-lettered: `blobflow --replay-dead-letters` brings them back.
        public var deadLettered = 0
        /// Blobs last modified before `--modified-since`.
        public var older = 0
        /// Blobs the consumer would not process, by its reason (`output-location`,
        /// `directory-or-placeholder`, `outside-prefix`, `unsafe-name`, ...).
        public var skipped: [String: Int] = [:]
        /// Events put on the work queue (in a dry run: that would be).
        public var enqueued = 0
        /// Blobs whose event could not be sent.
        public var failed = 0

        /// Creates zero counts.
        public init() {}

        /// All skipped blobs, whatever the reason.
        public var skippedTotal: Int { self.skipped.values.reduce(0, +) }
    }

    /// Whether this was a dry run (nothing was sent).
    public var dryRun: Bool
    /// The input container.
    public var container: String
    /// The listing prefix.
    public var prefix: String
    /// The work queue.
    public var queue: String
    /// The totals.
    public var counts: Counts
    /// Whether `--limit` stopped the listing early.
    public var limitReached: Bool
    /// The versions enqueued (or that would be) and the failures, in listing order.
    public var rows: [Row]

    /// Creates a report.
    public init(
        dryRun: Bool,
        container: String,
        prefix: String,
        queue: String,
        counts: Counts,
        limitReached: Bool,
        rows: [Row]
    ) {
        self.dryRun = dryRun
        self.container = container
        self.prefix = prefix
        self.queue = queue
        self.counts = counts
        self.limitReached = limitReached
        self.rows = rows
    }

    /// The report as indented JSON with sorted keys.
    public func json() throws -> String {
        try OperationsJSON.encode(self)
    }

    /// In a dry run, the blobs that would be enqueued; otherwise the failures; then the totals.
    public func table() -> String {
        var sections: [String] = []
        let shown = self.rows.filter { self.dryRun || $0.action == "failed" }
        if !shown.isEmpty {
            var table = TextTable([
                .init("BLOB", maxWidth: 80), .init("BYTES", alignRight: true), .init("ETAG", maxWidth: 24),
                .init("ACTION", maxWidth: 120),
            ])
            for row in shown {
                table.append([
                    row.blobName, String(row.bytes), row.eTag, row.error.map { "failed: \($0)" } ?? row.action,
                ])
            }
            sections.append(table.render())
        }
        var totals = TextTable([.init("", maxWidth: 40), .init("BLOBS", alignRight: true)])
        totals.append(["listed", String(self.counts.listed)])
        totals.append(["already completed", String(self.counts.done)])
        if self.counts.deadLettered > 0 {
            totals.append(["dead-lettered (replay them)", String(self.counts.deadLettered)])
        }
        if self.counts.older > 0 { totals.append(["older than --modified-since", String(self.counts.older)]) }
        for (reason, count) in self.counts.skipped.sorted(by: { $0.key < $1.key }) {
            totals.append(["skipped: \(reason)", String(count)])
        }
        totals.append([self.dryRun ? "would enqueue" : "enqueued", String(self.counts.enqueued)])
        if self.counts.failed > 0 { totals.append(["failed", String(self.counts.failed)]) }
        sections.append(totals.render())
        sections.append(self.summary)
        return sections.joined(separator: "\n\n") + "\n"
    }

    /// One line for the end of a run and for the log.
    public var summary: String {
        var line =
            self.dryRun
            ? "dry run: would enqueue \(self.counts.enqueued) of \(self.counts.listed) blob(s) listed; nothing was sent"
            : "enqueued \(self.counts.enqueued) of \(self.counts.listed) blob(s) listed on queue '\(self.queue)'"
        if self.limitReached { line += "; stopped at --limit, run again for the rest" }
        if self.counts.failed > 0 { line += "; \(self.counts.failed) failed (run again to retry them)" }
        return line
    }
}
