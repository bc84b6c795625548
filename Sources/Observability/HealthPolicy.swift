public import Consumer

/// When the consumer counts as healthy and as ready.
///
/// Healthy: the queue answered a poll recently, within ``staleAfter``. A replica that cannot
/// reach storage for longer (an expired credential, a network partition, a deleted account) is
/// reported unhealthy so the platform restarts it or alerts. Ready: the consumer checked its
/// queues and is polling, and is not shutting down.
public struct HealthPolicy: Sendable {
    /// How old the last successful poll may be.
    public var staleAfter: Duration

    /// A policy allowing `staleAfter` since the last successful poll.
    public init(staleAfter: Duration) {
        self.staleAfter = staleAfter
    }

    /// Three of the longest poll intervals plus a margin for retries of one slow request.
    public init(maxPollInterval: Duration) {
        self.staleAfter = maxPollInterval * 3 + .seconds(10)
    }

    /// Whether the consumer behind `statistics` is healthy.
    public func isHealthy(_ statistics: ConsumerStatistics) -> Bool {
        statistics.timeSinceLastSuccessfulPoll <= self.staleAfter
    }
}
