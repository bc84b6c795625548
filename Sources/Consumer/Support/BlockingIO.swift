import Dispatch

/// Runs blocking file-system work (checkpoint writes with `fsync`, claim files on a network
/// share) on Dispatch's threads instead of the Swift concurrency pool, which has one thread per
/// core: otherwise two events waiting on `fsync` would stall every other task on a 2-core
/// machine, and the consumer could not overlap the checkpoint writes of the events it holds.
enum BlockingIO {
    private static let queue = DispatchQueue(label: "blobflow.checkpoint-io", qos: .utility, attributes: .concurrent)

    static func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Self.queue.async {
                continuation.resume(with: Swift.Result { try body() })
            }
        }
    }

    /// As ``run(_:)`` for work whose failure is only logged or ignored.
    static func attempt(_ body: @escaping @Sendable () throws -> Void) async {
        _ = try? await Self.run(body)
    }
}
