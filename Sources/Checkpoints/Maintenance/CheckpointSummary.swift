/// What the checkpoint folder holds, for `blobflow status`.
public struct CheckpointSummary: Sendable, Hashable {
    /// Records by the step they reached; steps with no record are absent.
    public var countsByStep: [CheckpointStep: Int]
    /// Records that could not be read (damaged, or from a newer blobflow); they are left in place.
    public var unreadableRecords: Int
    /// The most recently updated records that carry an error, newest first.
    public var recentFailures: [CheckpointRecord]
    /// Claims that have not expired: blob versions being worked on right now.
    public var activeClaims: Int
    /// Claims past their expiry that nobody has taken over yet.
    public var expiredClaims: Int
    /// Dead-letter records waiting for a replay or a purge.
    public var deadLetters: Int

    /// Creates a summary.
    public init(
        countsByStep: [CheckpointStep: Int] = [:],
        unreadableRecords: Int = 0,
        recentFailures: [CheckpointRecord] = [],
        activeClaims: Int = 0,
        expiredClaims: Int = 0,
        deadLetters: Int = 0
    ) {
        self.countsByStep = countsByStep
        self.unreadableRecords = unreadableRecords
        self.recentFailures = recentFailures
        self.activeClaims = activeClaims
        self.expiredClaims = expiredClaims
        self.deadLetters = deadLetters
    }

    /// The number of records at `step`.
    public func count(_ step: CheckpointStep) -> Int { self.countsByStep[step, default: 0] }

    /// The number of readable records.
    public var totalRecords: Int { self.countsByStep.values.reduce(0, +) }
}
