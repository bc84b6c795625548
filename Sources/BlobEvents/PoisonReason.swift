/// Why a queue message can never become work: it is not a readable BlobCreated event, or it names
/// something the consumer must not touch. Poison messages belong in a dead-letter queue, raw and
/// with this reason beside them, and in a loud log line: they are never retried.
public struct PoisonReason: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable code: `too-large`, `not-json`, `bad-base64`, `truncated`,
    /// `too-deep`, `empty-array`, `multiple-events`, `missing-field`, `wrong-type`,
    /// `unsupported-schema`, `bad-subject`, `bad-etag`, `url-mismatch` or `unsafe-name`.
    public var code: String
    /// One line for people naming what was wrong; it quotes at most about 80 characters of the input.
    public var message: String

    /// Creates a poison reason.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`, for logs.
    public var description: String { "\(self.code): \(self.message)" }
}
