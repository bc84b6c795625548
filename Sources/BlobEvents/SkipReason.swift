/// Why a well-formed event is not work for this consumer. Skipped messages are deleted, not
/// dead-lettered: they are expected (other event types, other blobs, upload placeholders).
public struct SkipReason: Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable code: `not-blob-created`, `incomplete-api`, `other-container`,
    /// `outside-prefix`, `output-location` or `directory-or-placeholder`.
    public var code: String
    /// One line for people, saying what the event was and why it is not processed.
    public var message: String

    /// Creates a skip reason.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`, for logs.
    public var description: String { "\(self.code): \(self.message)" }
}
