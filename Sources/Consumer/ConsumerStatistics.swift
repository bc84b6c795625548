import Glibc
import Metrics
import Synchronization

/// What the consumer has done: atomic counters for logs, health and tests, mirrored into
/// swift-metrics (exported by whichever metrics backend the process bootstrapped; Prometheus in
/// `blobflow run`, nothing in tests).
public final class ConsumerStatistics: Sendable {
    let received = Atomic<Int>(0)
    let completed = Atomic<Int>(0)
    let skipped = Atomic<Int>(0)
    let duplicates = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let deadLettered = Atomic<Int>(0)
    let polls = Atomic<Int>(0)
    let emptyPolls = Atomic<Int>(0)
    let failedPolls = Atomic<Int>(0)
    let leaseRenewals = Atomic<Int>(0)
    let released = Atomic<Int>(0)
    let inFlight = Atomic<Int>(0)
    /// Monotonic nanoseconds of the last poll the queue answered (0: none yet).
    private let lastSuccessfulPollNanoseconds = Atomic<Int64>(0)
    private let readyFlag = Atomic<Bool>(false)
    private let started = ConsumerStatistics.monotonicNanoseconds()

    private let receivedCounter = Counter(label: "blobflow_events_received_total")
    private let completedCounter = Counter(label: "blobflow_events_completed_total")
    private let duplicateCounter = Counter(label: "blobflow_events_duplicate_total")
    private let renewalCounter = Counter(label: "blobflow_lease_renewals_total")
    private let releasedCounter = Counter(label: "blobflow_messages_released_total")
    private let inFlightGauge = Gauge(label: "blobflow_events_in_flight")
    private let processingTimer = Timer(label: "blobflow_processing_duration_seconds", preferredDisplayUnit: .seconds)

    /// Fresh counters.
    public init() {}

    // MARK: Recording

    func recordReceived() {
        self.received.add(1, ordering: .relaxed)
        self.receivedCounter.increment()
    }

    func recordSkipped(reason: String) {
        self.skipped.add(1, ordering: .relaxed)
        Counter(label: "blobflow_events_skipped_total", dimensions: [("reason", reason)]).increment()
    }

    func recordDuplicate() {
        self.duplicates.add(1, ordering: .relaxed)
        self.duplicateCounter.increment()
    }

    func recordFailure(reason: String) {
        self.failed.add(1, ordering: .relaxed)
        Counter(label: "blobflow_events_failed_total", dimensions: [("reason", reason)]).increment()
    }

    func recordCompleted(seconds: Double) {
        self.completed.add(1, ordering: .relaxed)
        self.completedCounter.increment()
        self.processingTimer.recordNanoseconds(Int64(seconds * 1e9))
    }

    func recordDeadLettered(reason: String) {
        self.deadLettered.add(1, ordering: .relaxed)
        Counter(label: "blobflow_events_dead_lettered_total", dimensions: [("reason", reason)]).increment()
    }

    /// A step of the processor finished (`download`, `process`, `upload`).
    func recordStep(_ step: String, seconds: Double) {
        Timer(label: "blobflow_step_duration_seconds", dimensions: [("step", step)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    /// A receive request ended: `messages`, `empty` or `error`.
    func recordPoll(result: String) {
        self.polls.add(1, ordering: .relaxed)
        switch result {
        case "empty": self.emptyPolls.add(1, ordering: .relaxed)
        case "error": self.failedPolls.add(1, ordering: .relaxed)
        default: break
        }
        if result != "error" {
            self.lastSuccessfulPollNanoseconds.store(Self.monotonicNanoseconds(), ordering: .relaxed)
        }
        Counter(label: "blobflow_poll_requests_total", dimensions: [("result", result)]).increment()
    }

    func recordLeaseRenewal() {
        self.leaseRenewals.add(1, ordering: .relaxed)
        self.renewalCounter.increment()
    }

    func recordReleased() {
        self.released.add(1, ordering: .relaxed)
        self.releasedCounter.increment()
    }

    func began() {
        let now = self.inFlight.add(1, ordering: .sequentiallyConsistent).newValue
        self.inFlightGauge.record(now)
    }

    func ended() {
        let now = self.inFlight.subtract(1, ordering: .sequentiallyConsistent).newValue
        self.inFlightGauge.record(now)
    }

    func markReady(_ ready: Bool) {
        self.readyFlag.store(ready, ordering: .relaxed)
    }

    // MARK: Reading

    /// Whether the consumer has checked its queues and is polling (false again once it stops).
    public var isReady: Bool { self.readyFlag.load(ordering: .relaxed) }

    /// Time since the queue last answered a poll; since start when it never has.
    public var timeSinceLastSuccessfulPoll: Duration {
        let last = self.lastSuccessfulPollNanoseconds.load(ordering: .relaxed)
        return .nanoseconds(Self.monotonicNanoseconds() - (last == 0 ? self.started : last))
    }

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
            "failed_polls": self.failedPolls.load(ordering: .relaxed),
            "lease_renewals": self.leaseRenewals.load(ordering: .relaxed),
            "released": self.released.load(ordering: .relaxed),
            "in_flight": self.inFlight.load(ordering: .relaxed),
        ]
    }

    private static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
