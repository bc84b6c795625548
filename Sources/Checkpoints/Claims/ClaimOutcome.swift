public import Foundation

/// The answer to ``CheckpointStore/claim(_:ttl:eventID:messageID:)``.
public enum ClaimOutcome: Sendable, Hashable {
    /// This replica may work on the blob version now.
    case acquired(Claim)
    /// Another worker (maybe another task of this replica) holds it until `expiresAt`; leave the
    /// message for later rather than working on it too.
    case heldByOther(owner: String, expiresAt: Date)
    /// The version is completed or dead-lettered: a duplicate, to acknowledge without work.
    case finished
}
