/// Why processing failed, and whether trying again can help.
public struct ProcessingFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// Whether a later attempt may succeed.
    public enum Kind: String, Sendable, Codable {
        /// Try again after a delay, until the dequeue limit (network trouble, a full disk, an app
        /// that crashed or asked for a retry).
        case retryable
        /// Dead-letter now: the blob is gone, or the app said the input is bad.
        case permanent
    }

    /// A short machine-readable reason, used as a metric label and in records:
    /// `blob-not-found`, `app-exit-65`, `timeout`, `disk-full`, ...
    public struct Reason: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation {
        /// The reason's text.
        public let code: String

        /// A reason named `code`.
        public init(_ code: String) { self.code = code }
        public init(stringLiteral value: String) { self.code = value }
        public init(stringInterpolation: DefaultStringInterpolation) {
            self.code = String(stringInterpolation: stringInterpolation)
        }

        public var description: String { self.code }

        /// The message's lease (or the checkpoint claim) was lost while the work ran.
        public static let leaseLost: Reason = "lease-lost"
        /// The daemon is shutting down; the work is released for another replica.
        public static let shutdown: Reason = "shutdown"
        /// The work took longer than the process timeout.
        public static let timeout: Reason = "timeout"
        /// The processor threw something other than a ``ProcessingFailure``.
        public static let error: Reason = "error"
    }

    /// Retry or dead-letter.
    public var kind: Kind
    /// Why, for metrics and records.
    public var reason: Reason
    /// What happened, in words (never a secret).
    public var message: String

    /// Creates a failure.
    public init(_ kind: Kind, reason: Reason, message: String) {
        self.kind = kind
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(self.reason): \(self.message)" }
}
