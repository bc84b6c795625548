/// A damaged file found in the checkpoint folder and moved aside; worth a warning in the log.
public struct CheckpointCorruption: Sendable, Hashable, CustomStringConvertible {
    /// Where the file was.
    public let path: String
    /// Where it is now, under `corrupt/`; `nil` when another replica moved it first.
    public let movedTo: String?
    /// What was wrong with it.
    public let reason: String

    public var description: String {
        "damaged checkpoint file '\(self.path)' (\(self.reason))"
            + (self.movedTo.map { " moved to '\($0)'" } ?? " already moved aside by another replica")
    }
}
