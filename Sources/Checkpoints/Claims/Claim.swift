public import Foundation

/// The right to work on one blob version, held by this replica until it is released or expires.
/// Keep it renewed (``CheckpointStore/renew(_:ttl:)``) while the work runs longer than its TTL.
public struct Claim: Sendable, Hashable {
    /// The blob version claimed.
    public let key: CheckpointKey
    /// The replica holding it.
    public let owner: String
    /// Unique to this acquisition, so a later claim by the same replica is told apart.
    public let token: String
    /// When it was acquired.
    public let acquiredAt: Date
    /// The progress when the claim was acquired, this attempt already counted.
    public let record: CheckpointRecord
}
