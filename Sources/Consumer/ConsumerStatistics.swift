import Synchronization

/// Counters of what the consumer did, for logs, `status` and metrics.
public final class ConsumerStatistics: Sendable {
    let received = Atomic<Int>(0)
    let completed = Atomic<Int>(0)
    let skipped = Atomic<Int>(0)
    let duplicates = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let deadLettered = Atomic<Int>(0)
    let polls = Atomic<Int>(0)
    let emptyPolls = Atomic<Int>(0)
    let leaseRenewals = Atomic<Int>(0)
    let released = Atomic<Int>(0)
    let inFlight = Atomic<Int>(0)

    /// Fresh counters.
    public init() {}

    /// A consistent-enough copy of every counter.
    public var snapshot: [String: Int] {
        [
            "received": self.received.load(ordering: .relaxed),
            "completed": self.completed.load(ordering: .relaxed),
            "skipped": self.skipped.load(ordering: .relaxed),
            "duplicates": self.duplicates.load(ordering: .relaxed),
            "failed": self.failed.load(ordering: .relaxed),
            "dead_lettered": self.deadLettered.load(ordering: .relaxed),
            "polls": self.polls.load(ordering: .relaxed),
            "empty_polls": self.emptyPolls.load(ordering: .relaxed),
            "lease_renewals": self.leaseRenewals.load(ordering: .relaxed),
            "released": self.released.load(ordering: .relaxed),
            "in_flight": self.inFlight.load(ordering: .relaxed),
        ]
    }
}
