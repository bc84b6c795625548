public import Foundation
import StorageCore

/// What is known about the work on one blob version: the step reached, how many attempts it
/// took, how long each step took, what was produced and what last went wrong. Stored as one
/// human-readable JSON file per blob version.
///
/// Decoding is forward-compatible: unknown fields are ignored and missing optional ones take
/// their defaults, so replicas running different versions can share a folder.
public struct CheckpointRecord: Sendable, Hashable, Codable {
    /// The schema version this build writes.
    public static let currentSchemaVersion = 1

    /// The schema version the record was written with.
    public var schemaVersion: Int
    /// The storage account name.
    public var account: String
    /// The container name.
    public var container: String
    /// The blob's name.
    public var blobName: String
    /// The blob version's eTag, quoted.
    public var eTag: String
    /// The last step completed.
    public var step: CheckpointStep
    /// How many times work on this version has started.
    public var attempts: Int
    /// How many times the record was reset to replay a dead letter.
    public var replays: Int
    /// The Event Grid event id of the latest delivery.
    public var eventID: String?
    /// The queue message id of the latest delivery.
    public var messageID: String?
    /// The replica that last worked on the version.
    public var replicaID: String?
    /// When the first event for this version was received. Dates are kept to the millisecond.
    public var firstSeen: Date
    /// When the record last changed.
    public var updatedAt: Date
    /// Seconds each step took, by step name (`downloaded`, `processed`, ...), latest attempt.
    public var timings: [String: Double]
    /// The files produced and uploaded.
    public var outputs: [CheckpointOutput]
    /// The latest failure, in words; kept after a later success as history.
    public var lastError: String?
    /// Why work was given up, when the step is `deadLettered`.
    public var deadLetterReason: String?

    /// A new record at step `received` for a blob version seen for the first time.
    public init(
        key: CheckpointKey,
        eventID: String? = nil,
        messageID: String? = nil,
        replicaID: String? = nil,
        at date: Date = Date()
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.account = key.account
        self.container = key.container
        self.blobName = key.blobName
        self.eTag = key.eTag
        self.step = .received
        self.attempts = 0
        self.replays = 0
        self.eventID = eventID
        self.messageID = messageID
        self.replicaID = replicaID
        self.firstSeen = date.roundedToMilliseconds
        self.updatedAt = date.roundedToMilliseconds
        self.timings = [:]
        self.outputs = []
        self.lastError = nil
        self.deadLetterReason = nil
    }

    /// The blob version this record is about.
    public var key: CheckpointKey {
        CheckpointKey(account: self.account, container: self.container, blobName: self.blobName, eTag: self.eTag)
    }

    /// Counts a new attempt and notes which delivery and replica it belongs to.
    public mutating func beginAttempt(eventID: String?, messageID: String?, replicaID: String, at date: Date = Date()) {
        self.attempts += 1
        if let eventID { self.eventID = eventID }
        if let messageID { self.messageID = messageID }
        self.replicaID = replicaID
        self.updatedAt = date.roundedToMilliseconds
    }

    /// Marks `step` as completed after taking `duration`. A record never moves backwards here;
    /// use ``resetForReplay(at:)`` to start over.
    public mutating func complete(_ step: CheckpointStep, took duration: Duration, at date: Date = Date()) {
        if step > self.step { self.step = step }
        self.timings[step.rawValue] = duration.fractionalSeconds
        self.updatedAt = date.roundedToMilliseconds
    }

    /// Notes a failure without changing the step reached.
    public mutating func recordFailure(_ message: String, at date: Date = Date()) {
        self.lastError = message
        self.updatedAt = date.roundedToMilliseconds
    }

    /// Marks the version as given up, with the reason a person will read in `blobflow status`.
    public mutating func markDeadLettered(reason: String, at date: Date = Date()) {
        self.step = .deadLettered
        self.deadLetterReason = reason
        self.updatedAt = date.roundedToMilliseconds
    }

    /// Starts over from `received` so a replayed dead letter does all the work again: attempts,
    /// timings, outputs, the error and the dead-letter reason are cleared, `replays` is counted.
    public mutating func resetForReplay(at date: Date = Date()) {
        self.step = .received
        self.attempts = 0
        self.replays += 1
        self.timings = [:]
        self.outputs = []
        self.lastError = nil
        self.deadLetterReason = nil
        self.updatedAt = date.roundedToMilliseconds
    }

    private enum CodingKeys: String, CodingKey {
        case schemaVersion, account, container, blobName, eTag, step, attempts, replays, eventID, messageID
        case replicaID, firstSeen, updatedAt, timings, outputs, lastError, deadLetterReason
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.schemaVersion = try container.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        self.account = try container.decode(String.self, forKey: .account)
        self.container = try container.decode(String.self, forKey: .container)
        self.blobName = try container.decode(String.self, forKey: .blobName)
        self.eTag = try container.decode(String.self, forKey: .eTag)
        self.step = try container.decode(CheckpointStep.self, forKey: .step)
        self.attempts = try container.decodeIfPresent(Int.self, forKey: .attempts) ?? 0
        self.replays = try container.decodeIfPresent(Int.self, forKey: .replays) ?? 0
        self.eventID = try container.decodeIfPresent(String.self, forKey: .eventID)
        self.messageID = try container.decodeIfPresent(String.self, forKey: .messageID)
        self.replicaID = try container.decodeIfPresent(String.self, forKey: .replicaID)
        let updatedAt = try container.decodeIfPresent(Date.self, forKey: .updatedAt)
        let firstSeen = try container.decodeIfPresent(Date.self, forKey: .firstSeen)
        self.updatedAt = updatedAt ?? firstSeen ?? Date(timeIntervalSince1970: 0)
        self.firstSeen = firstSeen ?? self.updatedAt
        self.timings = try container.decodeIfPresent([String: Double].self, forKey: .timings) ?? [:]
        self.outputs = try container.decodeIfPresent([CheckpointOutput].self, forKey: .outputs) ?? []
        self.lastError = try container.decodeIfPresent(String.self, forKey: .lastError)
        self.deadLetterReason = try container.decodeIfPresent(String.self, forKey: .deadLetterReason)
    }
}
