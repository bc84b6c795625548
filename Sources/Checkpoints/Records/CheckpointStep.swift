/// How far the work on a blob version has come. Steps are ordered; a record's step is the last
/// one completed, so work resumes with the step after it.
public enum CheckpointStep: String, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    /// The event was accepted and the record created; nothing done yet.
    case received
    /// The blob's content is on local disk.
    case downloaded
    /// The processing command succeeded and its outputs exist locally.
    case processed
    /// Every output has been uploaded.
    case uploaded
    /// All work is done; a redelivered event for this version is acknowledged without work.
    case completed
    /// Work was given up (a permanent failure or the dequeue limit); a dead-letter record explains why.
    case deadLettered = "dead-lettered"

    /// The step to do next, or `nil` when the record is finished (completed or dead-lettered).
    public var next: CheckpointStep? {
        switch self {
        case .received: .downloaded
        case .downloaded: .processed
        case .processed: .uploaded
        case .uploaded: .completed
        case .completed, .deadLettered: nil
        }
    }

    /// Whether no more work is due: completed or dead-lettered.
    public var isFinal: Bool { self == .completed || self == .deadLettered }

    public var description: String { self.rawValue }

    public static func < (lhs: CheckpointStep, rhs: CheckpointStep) -> Bool {
        lhs.order < rhs.order
    }

    private var order: Int { Self.allCases.firstIndex(of: self)! }
}
