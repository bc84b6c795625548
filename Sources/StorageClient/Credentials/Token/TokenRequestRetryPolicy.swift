import Foundation

/// How a credential retries its token endpoint when the endpoint is busy, failing or briefly
/// unreachable.
///
/// The default follows azure-identity's managed identity settings: five retries, waiting
/// 0.8 s, 1.6 s, 3.2 s, 6.4 s and 12.8 s (or longer when the reply's `Retry-After` says so), and
/// for IMDS's `410 Gone` (IMDS is being updated) a schedule that spans over 70 seconds.
public struct TokenRequestRetryPolicy: Sendable {
    /// Retries after the first attempt; 0 sends each request once.
    public var maxRetries: Int
    /// The wait before the first retry; each further retry waits twice as long as the one before.
    public var backoff: Duration
    /// The first wait after IMDS answers `410 Gone`; IMDS documents that it may take 70 seconds
    /// to come back.
    public var goneBackoff: Duration
    /// The longest single wait, including one asked for by `Retry-After`.
    public var maxDelay: Duration
    /// The upper bound for one attempt, connection included.
    public var attemptTimeout: Duration
    /// The upper bound for the one quick request that checks whether IMDS is there at all
    /// (see ``ManagedIdentityCredential``).
    public var probeTimeout: Duration

    /// Creates a policy; the defaults are azure-identity's.
    public init(
        maxRetries: Int = 5,
        backoff: Duration = .milliseconds(800),
        goneBackoff: Duration = .milliseconds(2500),
        maxDelay: Duration = .seconds(60),
        attemptTimeout: Duration = .seconds(30),
        probeTimeout: Duration = .seconds(1)
    ) {
        self.maxRetries = maxRetries
        self.backoff = backoff
        self.goneBackoff = goneBackoff
        self.maxDelay = maxDelay
        self.attemptTimeout = attemptTimeout
        self.probeTimeout = probeTimeout
    }

    /// The wait before retry number `retry` (1 for the first), after a reply with `status` (nil
    /// after a connection failure) and the reply's `Retry-After` header.
    func delay(beforeRetry retry: Int, status: Int?, retryAfter: String?) -> Duration {
        let base = status == 410 ? self.goneBackoff : self.backoff
        var delay = base * (1 << min(max(retry - 1, 0), 20))
        if let retryAfter, let seconds = Int(retryAfter.trimmingCharacters(in: .whitespaces)), seconds > 0 {
            delay = max(delay, .seconds(seconds))
        }
        return min(delay, self.maxDelay)
    }
}
