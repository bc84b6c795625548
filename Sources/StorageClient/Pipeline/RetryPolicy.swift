/// When and how long to wait before sending a failed request again.
///
/// Throttling (429, 503), server errors (500, 502, 504), request timeouts (408), client-side
/// timeouts and broken connections are retried with exponential backoff and full jitter, up to
/// ``maxAttempts`` tries; a `Retry-After` from the service is honoured (capped at ``maxDelay``).
///
/// Whether a request whose outcome is unknown may be sent again depends on the operation (see
/// ``RetrySafety``): `Put Message` is retried even so, because the consumer recognises a duplicate
/// event by its blob version and acknowledges it without doing the work twice.
public struct RetryPolicy: Sendable, Hashable {
    /// Total tries, the first included. 1 disables retries.
    public var maxAttempts: Int
    /// The delay before the second try; each later one doubles, up to ``maxDelay``.
    public var initialDelay: Duration
    /// The longest wait between two tries.
    public var maxDelay: Duration
    /// Timeout of each try; nil leaves only the transport's connect and stall timeouts.
    public var perTryTimeout: Duration?

    /// Creates a policy.
    public init(
        maxAttempts: Int = 8,
        initialDelay: Duration = .milliseconds(500),
        maxDelay: Duration = .seconds(30),
        perTryTimeout: Duration? = nil
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.perTryTimeout = perTryTimeout
    }

    /// Eight tries over about a minute: rides out throttling bursts and brief outages.
    public static let `default` = RetryPolicy()
    /// One try only.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// HTTP statuses worth another try.
    public static let retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    /// The wait before try number `attempt + 1` after try `attempt` (1-based) failed.
    /// `retryAfter` is the service's `Retry-After`, in seconds.
    public func delay(afterAttempt attempt: Int, retryAfter: Int? = nil) -> Duration {
        if let retryAfter, retryAfter >= 0 {
            return min(.seconds(retryAfter), self.maxDelay)
        }
        let exponent = min(attempt - 1, 30)
        let ceiling = min(self.initialDelay * (1 << exponent), self.maxDelay)
        // Full jitter, but never less than a quarter of the ceiling so retries do spread out.
        let fraction = Double.random(in: 0.25...1.0)
        return ceiling * fraction
    }
}

/// What resending an operation after an unknown outcome can do, which decides whether the
/// pipeline retries it after a timeout or a broken connection.
public enum RetrySafety: Sendable, Hashable {
    /// Sending it twice has the same effect as once (reads, Put Blob, Put Block, deletes).
    case idempotent
    /// A second send may duplicate it, and the system absorbs duplicates (Put Message: the
    /// consumer deduplicates events by blob version).
    case duplicatesTolerated
    /// Resending may fail or act twice: retried only when the request certainly did not reach the
    /// service, or the service said it did not act (429, 503).
    case unsafe
}
