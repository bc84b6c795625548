import StorageCore

/// One message in a development queue.
struct QueueMessage: Sendable, Codable {
    var id: String
    var text: String
    var insertionTime: StorageDate
    /// nil: never expires (`messagettl=-1`).
    var expirationTime: StorageDate?
    var timeNextVisible: StorageDate
    var dequeueCount: Int
    /// The receipt of the latest dequeue or update; required to delete or update.
    var popReceipt: String?
    /// Insertion order, used to break ties between messages visible at the same time.
    var sequence: UInt64

    /// What Azure writes for a message that never expires.
    static let neverExpires = StorageDate(iso8601: "9999-12-31T23:59:59Z")!

    func isExpired(at now: StorageDate) -> Bool {
        guard let expirationTime else { return false }
        return expirationTime <= now
    }
}

/// A position in the visibility order; stale once the message's visibility changed again.
struct VisibilityEntry: Comparable, Sendable {
    var visibleAt: StorageDate
    var sequence: UInt64
    var id: String
    var generation: UInt64

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.visibleAt, lhs.sequence, lhs.generation) < (rhs.visibleAt, rhs.sequence, rhs.generation)
    }
    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.visibleAt == rhs.visibleAt && lhs.sequence == rhs.sequence && lhs.generation == rhs.generation
            && lhs.id == rhs.id
    }
}
