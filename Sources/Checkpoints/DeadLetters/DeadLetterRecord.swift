public import Foundation

/// Why and how a queue message was given up, kept next to the checkpoints so that
/// `blobflow status` can list it and `--replay-dead-letters` can enqueue the original again.
/// Unlike a poison-queue copy it keeps the message id, the attempts and the reason, and it does
/// not expire.
public struct DeadLetterRecord: Sendable, Hashable, Codable {
    /// Why a message was dead-lettered; an open set so newer replicas may add reasons.
    public struct Reason: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        /// The code as written in the file, e.g. `dequeue-limit-reached`.
        public var rawValue: String
        /// A reason from its code; codes this build does not know are kept as they are.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The failure cannot go away by retrying (bad input, processing exited with a permanent code).
        public static let permanentFailure = Reason(rawValue: "permanent-failure")
        /// The message was delivered as often as allowed (`maxDequeueCount`).
        public static let dequeueLimitReached = Reason(rawValue: "dequeue-limit-reached")
        /// The message is not a BlobCreated event blobflow can read; there is no blob key.
        public static let undecodableMessage = Reason(rawValue: "undecodable-message")

        public var description: String { self.rawValue }
    }

    /// The schema version this build writes.
    public static let currentSchemaVersion = 1

    /// The schema version the record was written with.
    public var schemaVersion: Int
    /// The blob version, when the message could be decoded.
    public var key: CheckpointKey?
    /// The reason code.
    public var reason: Reason
    /// The reason in words, for a person.
    public var message: String
    /// How many attempts were made.
    public var attempts: Int
    /// The last failure, in words.
    public var lastError: String?
    /// The queue message body exactly as received, so a replay enqueues the same event.
    public var messageText: String
    /// The queue message id.
    public var messageID: String?
    /// The Event Grid event id, when the message could be decoded.
    public var eventID: String?
    /// When it was dead-lettered.
    public var deadLetteredAt: Date
    /// The replica that gave up.
    public var replicaID: String

    /// Creates a dead-letter record.
    public init(
        key: CheckpointKey?,
        reason: Reason,
        message: String,
        attempts: Int,
        lastError: String?,
        messageText: String,
        messageID: String?,
        eventID: String?,
        deadLetteredAt: Date,
        replicaID: String
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.key = key
        self.reason = reason
        self.message = message
        self.attempts = attempts
        self.lastError = lastError
        self.messageText = messageText
        self.messageID = messageID
        self.eventID = eventID
        self.deadLetteredAt = deadLetteredAt.roundedToMilliseconds
        self.replicaID = replicaID
    }

    /// The file name without extension: the key's digest, or for an undecodable message a digest
    /// of its id (or text) prefixed with `message-`.
    var fileStem: String {
        if let key { return key.digest }
        let identity = self.messageID.map { "id:" + $0 } ?? "text:" + self.messageText
        return "message-" + SHA256Hex.of(identity)
    }

    private enum CodingKeys: String, CodingKey {
        case schemaVersion, key, reason, message, attempts, lastError, messageText, messageID, eventID
        case deadLetteredAt, replicaID
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.schemaVersion = try container.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        self.key = try container.decodeIfPresent(CheckpointKey.self, forKey: .key)
        self.reason = try container.decode(Reason.self, forKey: .reason)
        self.message = try container.decodeIfPresent(String.self, forKey: .message) ?? ""
        self.attempts = try container.decodeIfPresent(Int.self, forKey: .attempts) ?? 0
        self.lastError = try container.decodeIfPresent(String.self, forKey: .lastError)
        self.messageText = try container.decode(String.self, forKey: .messageText)
        self.messageID = try container.decodeIfPresent(String.self, forKey: .messageID)
        self.eventID = try container.decodeIfPresent(String.self, forKey: .eventID)
        self.deadLetteredAt =
            try container.decodeIfPresent(Date.self, forKey: .deadLetteredAt) ?? Date(timeIntervalSince1970: 0)
        self.replicaID = try container.decodeIfPresent(String.self, forKey: .replicaID) ?? "unknown"
    }
}
