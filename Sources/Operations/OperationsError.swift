/// An operator command that cannot run at all, as opposed to one message that failed (which a
/// report row records).
public struct OperationsError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case queueNotFound
        case prefixOutsideInput
        case containerNotFound
    }

    private let code: Code
    /// What went wrong, in words.
    public let message: String

    private init(_ code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The queue that replayed messages would go to does not exist.
    static func queueNotFound(_ name: String) -> Self {
        .init(
            .queueNotFound,
            message:
                "the work queue '\(name)' does not exist; start the consumer once (it creates it) or check the queue name"
        )
    }

    /// A backfill prefix that no blob the consumer processes can have.
    static func prefixOutsideInput(_ prefix: String, input: String) -> Self {
        .init(
            .prefixOutsideInput,
            message:
                "--prefix '\(prefix)' lies outside the input prefix '\(input)' (BLOBFLOW_INPUT_PREFIX): the consumer would skip every blob under it"
        )
    }

    /// The container a command lists does not exist.
    static func containerNotFound(_ name: String) -> Self {
        .init(
            .containerNotFound,
            message: "the container '\(name)' does not exist in this account; check BLOBFLOW_INPUT_CONTAINER"
        )
    }

    public var description: String { self.message }
}
