/// What a ``CheckpointStore/prune(completedOlderThan:now:)`` pass removed.
public struct PruneReport: Sendable, Hashable, CustomStringConvertible {
    /// Checkpoint records past the retention period.
    public var records = 0
    /// Claims expired for long enough that their owner is certainly gone.
    public var claims = 0
    /// Temporary files left by writers that crashed, claim tombstones and broken locks.
    public var leftovers = 0
    /// Files in `corrupt/` past the retention period.
    public var corruptFiles = 0

    /// An empty report.
    public init() {}

    public var description: String {
        "\(self.records) records, \(self.claims) expired claims, \(self.leftovers) leftover files, \(self.corruptFiles) damaged files"
    }
}
