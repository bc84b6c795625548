public import Foundation

/// What `blobflow status` shows: the depth of the work and poison queues, the checkpoint folder's
/// records by step, claims and dead-letter records, and the most recent failures.
///
/// Build it with ``gather(queue:poisonQueue:store:recentFailures:now:)``; print ``text()`` for a
/// person or ``json()`` for a script. It holds names, counts, times and error descriptions only:
/// no connection string, key, token or message body.
public struct StatusReport: Sendable, Hashable, Codable {
    /// One queue's name and depth.
    public struct QueueStatus: Sendable, Hashable, Codable {
        /// The queue's name.
        public var name: String
        /// Whether the queue exists; `nil` when that could not be found out.
        public var exists: Bool?
        /// Messages in the queue, visible or not, as Azure approximates it; 0 for a queue that
        /// does not exist, `nil` when the queue could not be read.
        public var approximateMessageCount: Int?
        /// Why the depth is missing or zero for a reason other than an empty queue.
        public var note: String?

        /// Creates a queue status.
        public init(name: String, exists: Bool?, approximateMessageCount: Int?, note: String? = nil) {
            self.name = name
            self.exists = exists
            self.approximateMessageCount = approximateMessageCount
            self.note = note
        }
    }

    /// What the checkpoint folder holds.
    public struct CheckpointCounts: Sendable, Hashable, Codable {
        /// Records by step code (`received`, `downloaded`, `processed`, `uploaded`, `completed`,
        /// `dead-lettered`), every step present, zero included.
        public var byStep: [String: Int]
        /// Readable records.
        public var total: Int
        /// Records that could not be read (damaged, or from a newer blobflow).
        public var unreadable: Int
        /// Claims that have not expired: blob versions being worked on now.
        public var activeClaims: Int
        /// Claims past their expiry that nobody has taken over.
        public var expiredClaims: Int
        /// Dead-letter records waiting for a replay or a purge.
        public var deadLetterRecords: Int

        /// Creates checkpoint counts.
        public init(
            byStep: [String: Int],
            total: Int,
            unreadable: Int,
            activeClaims: Int,
            expiredClaims: Int,
            deadLetterRecords: Int
        ) {
            self.byStep = byStep
            self.total = total
            self.unreadable = unreadable
            self.activeClaims = activeClaims
            self.expiredClaims = expiredClaims
            self.deadLetterRecords = deadLetterRecords
        }

        /// The number of records at `step` (e.g. `completed`, `dead-lettered`).
        public func count(_ step: String) -> Int { self.byStep[step, default: 0] }
    }

    /// One recent failure: a checkpoint record with an error, or a dead letter.
    public struct Failure: Sendable, Hashable, Codable {
        /// `container/name`; `nil` for an undecodable message that names no blob.
        public var blob: String?
        /// The blob version's eTag, when known.
        public var eTag: String?
        /// The step the work had reached (`dead-lettered` for a dead letter).
        public var step: String
        /// Attempts made.
        public var attempts: Int
        /// The last error, in words.
        public var lastError: String?
        /// The dead-letter reason code, for a dead letter.
        public var deadLetterReason: String?
        /// The event id, when known.
        public var eventID: String?
        /// When the failure was recorded.
        public var at: Date

        /// Creates a failure entry.
        public init(
            blob: String?,
            eTag: String?,
            step: String,
            attempts: Int,
            lastError: String?,
            deadLetterReason: String?,
            eventID: String?,
            at: Date
        ) {
            self.blob = blob
            self.eTag = eTag
            self.step = step
            self.attempts = attempts
            self.lastError = lastError
            self.deadLetterReason = deadLetterReason
            self.eventID = eventID
            self.at = at
        }
    }

    /// When the report was made.
    public var generatedAt: Date
    /// The work queue.
    public var queue: QueueStatus
    /// The poison queue.
    public var poisonQueue: QueueStatus
    /// The checkpoint folder's counts.
    public var checkpoints: CheckpointCounts
    /// The most recent failures, newest first.
    public var recentFailures: [Failure]

    /// Creates a report.
    public init(
        generatedAt: Date,
        queue: QueueStatus,
        poisonQueue: QueueStatus,
        checkpoints: CheckpointCounts,
        recentFailures: [Failure]
    ) {
        self.generatedAt = generatedAt
        self.queue = queue
        self.poisonQueue = poisonQueue
        self.checkpoints = checkpoints
        self.recentFailures = recentFailures
    }

    /// The report as indented JSON with sorted keys and ISO 8601 dates.
    public func json() throws -> String {
        try OperationsJSON.encode(self)
    }

    /// Decodes a report written by ``json()``.
    public static func decode(json: String) throws -> StatusReport {
        try OperationsJSON.decoder().decode(StatusReport.self, from: Data(json.utf8))
    }
}
