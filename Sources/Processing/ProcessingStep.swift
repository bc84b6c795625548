/// The steps a processor reports, in order; they are the checkpoint's steps between `received`
/// and `completed`, with the same names.
public enum ProcessingStep: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// The blob's content is on local disk.
    case downloaded
    /// The app succeeded and its outputs exist locally.
    case processed
    /// Every output has been uploaded.
    case uploaded

    public var description: String { self.rawValue }

    public static func < (lhs: ProcessingStep, rhs: ProcessingStep) -> Bool {
        Self.allCases.firstIndex(of: lhs)! < Self.allCases.firstIndex(of: rhs)!
    }
}
