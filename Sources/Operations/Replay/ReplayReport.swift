public import Foundation
import StorageCore

/// What a dead-letter replay did, or in a dry run would do, message by message.
///
/// Print ``table()`` for a person; encode it (``json()``, or any `JSONEncoder`) for a script.
/// The JSON has stable keys: `dryRun`, `queue`, `poisonQueue`, `rows`, `counts`, `notes`; each
/// row carries `action` as one of `moved`, `would-move`, `skipped-filter`, `skipped-limit`,
/// `failed`, with `error` beside a failure.
public struct ReplayReport: Sendable, Hashable, Codable {
    /// What happened to one dead letter.
    public enum Action: Sendable, Hashable, CustomStringConvertible {
        /// Sent to the work queue and removed from the poison queue; its checkpoint was reset.
        case moved
        /// A dry run: it matches and would have been moved.
        case wouldMove
        /// It does not match the filter; it stays in the poison queue.
        case skippedFilter
        /// It matches, but the filter's limit was reached; it stays in the poison queue.
        case skippedLimit
        /// Moving it failed; the text says which step. The message stays in the poison queue
        /// (when it was already sent, it is in both queues: the consumer treats the second copy
        /// as a duplicate).
        case failed(String)

        /// The action's code: `moved`, `would-move`, `skipped-filter`, `skipped-limit` or `failed`.
        public var code: String {
            switch self {
            case .moved: "moved"
            case .wouldMove: "would-move"
            case .skippedFilter: "skipped-filter"
            case .skippedLimit: "skipped-limit"
            case .failed: "failed"
            }
        }

        /// The code, and for a failure its error.
        public var description: String {
            if case .failed(let error) = self { return "failed: \(error)" }
            return self.code
        }
    }

    /// One dead letter: the message, what is known about it, and what was done.
    public struct Row: Sendable, Hashable, Codable {
        /// The poison queue's message id.
        public var messageID: String
        /// The Event Grid event id, when the message could be read.
        public var eventID: String?
        /// `container/name`, when the message could be read.
        public var blob: String?
        /// The dead-letter reason code (`dequeue-limit-reached`, …) from the matching dead-letter
        /// record, when there is one.
        public var reason: String?
        /// The attempts made before it was dead-lettered, from the matching dead-letter record.
        public var attempts: Int?
        /// When the message entered the poison queue.
        public var deadLetteredAt: Date
        /// How long it had been in the poison queue when the replay looked at it.
        public var age: Duration
        /// What was done.
        public var action: Action
        /// Something worth knowing about an otherwise successful move, e.g. a dead-letter record
        /// that could not be removed.
        public var note: String?

        /// Creates a row.
        public init(
            messageID: String,
            eventID: String?,
            blob: String?,
            reason: String?,
            attempts: Int?,
            deadLetteredAt: Date,
            age: Duration,
            action: Action,
            note: String? = nil
        ) {
            self.messageID = messageID
            self.eventID = eventID
            self.blob = blob
            self.reason = reason
            self.attempts = attempts
            self.deadLetteredAt = deadLetteredAt
            self.age = age
            self.action = action
            self.note = note
        }

        private enum CodingKeys: String, CodingKey {
            case messageID, eventID, blob, reason, attempts, deadLetteredAt, ageSeconds, action, error, note
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.messageID = try container.decode(String.self, forKey: .messageID)
            self.eventID = try container.decodeIfPresent(String.self, forKey: .eventID)
            self.blob = try container.decodeIfPresent(String.self, forKey: .blob)
            self.reason = try container.decodeIfPresent(String.self, forKey: .reason)
            self.attempts = try container.decodeIfPresent(Int.self, forKey: .attempts)
            self.deadLetteredAt = try container.decode(Date.self, forKey: .deadLetteredAt)
            let seconds = try container.decode(Double.self, forKey: .ageSeconds)
            self.age = .milliseconds(Int64((seconds * 1000).rounded()))
            self.note = try container.decodeIfPresent(String.self, forKey: .note)
            switch try container.decode(String.self, forKey: .action) {
            case "moved": self.action = .moved
            case "would-move": self.action = .wouldMove
            case "skipped-filter": self.action = .skippedFilter
            case "skipped-limit": self.action = .skippedLimit
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
            try container.encode(self.messageID, forKey: .messageID)
            try container.encodeIfPresent(self.eventID, forKey: .eventID)
            try container.encodeIfPresent(self.blob, forKey: .blob)
            try container.encodeIfPresent(self.reason, forKey: .reason)
            try container.encodeIfPresent(self.attempts, forKey: .attempts)
            try container.encode(self.deadLetteredAt, forKey: .deadLetteredAt)
            try container.encode((self.age.fractionalSeconds * 1000).rounded() / 1000, forKey: .ageSeconds)
            try container.encode(self.action.code, forKey: .action)
            if case .failed(let error) = self.action { try container.encode(error, forKey: .error) }
            try container.encodeIfPresent(self.note, forKey: .note)
        }
    }

    /// How many dead letters ended each way.
    public struct Counts: Sendable, Hashable, Codable {
        /// Every dead letter looked at.
        public var total: Int
        /// Moved to the work queue.
        public var moved: Int
        /// Would have been moved (dry run).
        public var wouldMove: Int
        /// Left because they did not match the filter.
        public var skippedFilter: Int
        /// Left because the limit was reached.
        public var skippedLimit: Int
        /// Failed to move.
        public var failed: Int

        /// Counts the actions in `rows`.
        public init(_ rows: [Row]) {
            self.total = rows.count
            self.moved = rows.count { $0.action == .moved }
            self.wouldMove = rows.count { $0.action == .wouldMove }
            self.skippedFilter = rows.count { $0.action == .skippedFilter }
            self.skippedLimit = rows.count { $0.action == .skippedLimit }
            self.failed = rows.count { if case .failed = $0.action { true } else { false } }
        }
    }

    /// Whether this was a dry run (nothing changed).
    public var dryRun: Bool
    /// The work queue's name.
    public var queue: String
    /// The poison queue's name.
    public var poisonQueue: String
    /// One row per dead letter, in the order the poison queue handed them out.
    public var rows: [Row]
    /// Things about the run as a whole: a missing poison queue, messages that could not be made
    /// visible again, a visibility timeout that ran out.
    public var notes: [String]

    /// Creates a report.
    public init(dryRun: Bool, queue: String, poisonQueue: String, rows: [Row], notes: [String] = []) {
        self.dryRun = dryRun
        self.queue = queue
        self.poisonQueue = poisonQueue
        self.rows = rows
        self.notes = notes
    }

    /// The rows counted by action.
    public var counts: Counts { Counts(self.rows) }

    private enum CodingKeys: String, CodingKey {
        case dryRun, queue, poisonQueue, rows, counts, notes
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.dryRun = try container.decode(Bool.self, forKey: .dryRun)
        self.queue = try container.decode(String.self, forKey: .queue)
        self.poisonQueue = try container.decode(String.self, forKey: .poisonQueue)
        self.rows = try container.decode([Row].self, forKey: .rows)
        self.notes = try container.decodeIfPresent([String].self, forKey: .notes) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.dryRun, forKey: .dryRun)
        try container.encode(self.queue, forKey: .queue)
        try container.encode(self.poisonQueue, forKey: .poisonQueue)
        try container.encode(self.rows, forKey: .rows)
        try container.encode(self.counts, forKey: .counts)
        try container.encode(self.notes, forKey: .notes)
    }

    /// The report as indented JSON with sorted keys and ISO 8601 dates.
    public func json() throws -> String {
        try OperationsJSON.encode(self)
    }

    /// Decodes a report written by ``json()``.
    public static func decode(json: String) throws -> ReplayReport {
        try OperationsJSON.decoder().decode(ReplayReport.self, from: Data(json.utf8))
    }
}
