import Foundation

/// What a replay of Event Grid's own dead-letter blobs did, blob by blob.
///
/// Event Grid writes an event it could not deliver to the queue (a missing queue, a denied
/// write, a message too large) into a blob of its dead-letter container, as a JSON array of
/// events each carrying `deadLetterReason` and `deliveryAttempts`.
public struct EventGridReplayReport: Sendable, Hashable, Codable {
    /// One dead-letter blob.
    public struct Row: Sendable, Hashable, Codable {
        /// The blob's name in the dead-letter container.
        public var blobName: String
        /// The events the replay took from it (0 when it could not be read).
        public var events: Int
        /// The events sent to the work queue (in a dry run, always 0).
        public var enqueued: Int
        /// The events' ids, in the blob's order.
        public var eventIDs: [String]
        /// The distinct `deadLetterReason` values Event Grid gave, e.g. `MaxDeliveryAttemptsExceeded`.
        public var deadLetterReasons: [String]
        /// What was done.
        public var action: ReplayReport.Action
        /// Events left in the blob because the filter did not take them (or, after a failure,
        /// every event it still holds).
        public var kept: Int

        /// Creates a row.
        public init(
            blobName: String,
            events: Int,
            enqueued: Int,
            eventIDs: [String],
            deadLetterReasons: [String],
            action: ReplayReport.Action,
            kept: Int = 0
        ) {
            self.blobName = blobName
            self.events = events
            self.enqueued = enqueued
            self.eventIDs = eventIDs
            self.deadLetterReasons = deadLetterReasons
            self.action = action
            self.kept = kept
        }

        private enum CodingKeys: String, CodingKey {
            case blobName, events, enqueued, eventIDs, deadLetterReasons, action, error, kept
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.blobName = try container.decode(String.self, forKey: .blobName)
            self.events = try container.decode(Int.self, forKey: .events)
            self.enqueued = try container.decode(Int.self, forKey: .enqueued)
            self.eventIDs = try container.decodeIfPresent([String].self, forKey: .eventIDs) ?? []
            self.deadLetterReasons = try container.decodeIfPresent([String].self, forKey: .deadLetterReasons) ?? []
            self.kept = try container.decodeIfPresent(Int.self, forKey: .kept) ?? 0
            switch try container.decode(String.self, forKey: .action) {
            case "moved": self.action = .moved
            case "would-move": self.action = .wouldMove
            case "failed": self.action = .failed(try container.decodeIfPresent(String.self, forKey: .error) ?? "")
            case let other:
                throw DecodingError.dataCorruptedError(
                    forKey: .action,
                    in: container,
                    debugDescription: "unknown action '\(other)'"
                )
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.blobName, forKey: .blobName)
            try container.encode(self.events, forKey: .events)
            try container.encode(self.enqueued, forKey: .enqueued)
            try container.encode(self.eventIDs, forKey: .eventIDs)
            try container.encode(self.deadLetterReasons, forKey: .deadLetterReasons)
            try container.encode(self.kept, forKey: .kept)
            try container.encode(self.action.code, forKey: .action)
            if case .failed(let error) = self.action { try container.encode(error, forKey: .error) }
        }
    }

    /// Whether this was a dry run (nothing changed).
    public var dryRun: Bool
    /// The dead-letter container's name.
    public var container: String
    /// The work queue's name.
    public var queue: String
    /// One row per blob, in listing order.
    public var rows: [Row]

    /// Creates a report.
    public init(dryRun: Bool, container: String, queue: String, rows: [Row]) {
        self.dryRun = dryRun
        self.container = container
        self.queue = queue
        self.rows = rows
    }

    /// The report as indented JSON with sorted keys.
    public func json() throws -> String {
        try OperationsJSON.encode(self)
    }

    /// A fixed-width table of the blobs and a summary line.
    public func table() -> String {
        var sections: [String] = []
        if !self.rows.isEmpty {
            var table = TextTable([
                .init("BLOB", maxWidth: 80),
                .init("EVENTS", alignRight: true),
                .init("ENQUEUED", alignRight: true),
                .init("LEFT", alignRight: true),
                .init("EVENT GRID REASON", maxWidth: 40),
                .init("ACTION", maxWidth: 160),
            ])
            for row in self.rows {
                table.append([
                    row.blobName, String(row.events), String(row.enqueued), String(row.kept),
                    row.deadLetterReasons.isEmpty ? "-" : row.deadLetterReasons.joined(separator: ", "),
                    row.action.description,
                ])
            }
            sections.append(table.render())
        }
        sections.append(self.summary)
        return sections.joined(separator: "\n\n") + "\n"
    }

    /// One line: events and blobs moved (or that would be) and failures.
    public var summary: String {
        let container = TextTable.fit(self.container, width: 63)
        guard !self.rows.isEmpty else { return "no matching Event Grid dead letters in container '\(container)'" }
        let failed = self.rows.count { if case .failed = $0.action { true } else { false } }
        let events = self.rows.reduce(0) { $0 + $1.events }
        var line =
            self.dryRun
            ? "dry run: would enqueue \(events) event(s) from \(self.rows.count - failed) of \(self.rows.count) blob(s); nothing was changed"
            : "enqueued \(self.rows.reduce(0) { $0 + $1.enqueued }) event(s); removed \(self.rows.count { $0.action == .moved }) of \(self.rows.count) blob(s)"
        let left = self.rows.reduce(0) { $0 + ($1.action == .moved || $1.action == .wouldMove ? $1.kept : 0) }
        if left > 0 { line += "; \(left) event(s) the filter left out stay in their blobs" }
        if failed > 0 { line += "; \(failed) blob(s) failed and were kept" }
        return line
    }
}
