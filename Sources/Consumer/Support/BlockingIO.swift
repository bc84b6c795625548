import Foundation

/// Runs blocking file-system work (checkpoint writes with `fsync`, claim files on a network
/// share) on threads of its own instead of the Swift concurrency pool, which has one thread per
/// core: otherwise two events waiting on `fsync` would stall every other task on a 2-core
/// machine.
///
/// Not Dispatch's global pool either: on Linux it runs about one thread per core for concurrent
/// queues, however long their work blocks, so with the checkpoint folder on Azure Files (a
/// network round trip per file operation) the events in flight would queue behind two threads.
/// This pool adds a thread whenever every thread is busy, up to ``maximumThreads``, so each event
/// in flight can wait on the share at the same time.
enum BlockingIO {
    /// More than the largest useful concurrency: each event in flight has at most one blocking
    /// call outstanding.
    static let maximumThreads = 256

    private static let pool = BlockingThreadPool(maximumThreads: Self.maximumThreads)

    static func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Self.pool.submit {
                continuation.resume(with: Swift.Result { try body() })
            }
        }
    }

    /// Starts `body` on the pool without waiting for it (its failure is ignored).
    static func submit(_ body: @escaping @Sendable () throws -> Void) {
        Self.pool.submit { try? body() }
    }

    /// As ``run(_:)`` for work whose failure is only logged or ignored.
    static func attempt(_ body: @escaping @Sendable () throws -> Void) async {
        _ = try? await Self.run(body)
    }
}

/// A pool of threads for blocking calls that grows while all its threads are busy (up to a
/// limit) and keeps its threads once made: jobs run in the order submitted.
final class BlockingThreadPool: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    private let maximumThreads: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [Job] = []
    private var head = 0
    private var threads = 0
    private var idle = 0

    init(maximumThreads: Int) {
        precondition(maximumThreads > 0)
        self.maximumThreads = maximumThreads
    }

    func submit(_ job: @escaping Job) {
        self.condition.lock()
        self.jobs.append(job)
        let waiting = self.jobs.count - self.head
        let start = self.idle < waiting && self.threads < self.maximumThreads
        if start { self.threads += 1 }
        self.condition.signal()
        self.condition.unlock()
        if start {
            let thread = Thread { [self] in self.work() }
            thread.name = "blobflow-io"
            thread.stackSize = 512 * 1024
            thread.start()
        }
    }

    private func work() {
        while true {
            self.condition.lock()
            while self.head == self.jobs.count {
                self.idle += 1
                self.condition.wait()
                self.idle -= 1
            }
            let job = self.jobs[self.head]
            self.head += 1
            if self.head == self.jobs.count {
                self.jobs.removeAll(keepingCapacity: true)
                self.head = 0
            }
            self.condition.unlock()
            job()
        }
    }
}
