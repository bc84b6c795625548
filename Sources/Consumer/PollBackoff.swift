/// How long the poller waits before asking an empty queue again: randomized exponential growth
/// from the minimum to the maximum interval, back to the minimum after any message arrives
/// (the Azure Functions queue trigger's strategy).
struct PollBackoff: Sendable {
    let minimum: Duration
    let maximum: Duration
    private(set) var consecutiveMisses = 0

    init(minimum: Duration, maximum: Duration) {
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
    }

    /// The queue returned messages: poll again soon.
    mutating func hit() -> Duration {
        self.consecutiveMisses = 0
        return self.minimum
    }

    /// The queue was empty: wait longer each time, with ±20% jitter, up to the maximum.
    mutating func miss() -> Duration {
        self.consecutiveMisses += 1
        let exponent = min(self.consecutiveMisses - 1, 30)
        let grown = self.minimum * Double(1 << exponent) * Double.random(in: 0.8...1.2)
        return min(max(grown, self.minimum), self.maximum)
    }
}
