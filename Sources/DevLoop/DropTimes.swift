import Synchronization

/// When each dropped file was found written, by blob name, so the dev screen can say how long
/// a file took from the drop folder to its outputs, as the person who dropped it saw it.
public final class DropTimes: Sendable {
    private let times = Mutex<[String: ContinuousClock.Instant]>([:])

    public init() {}

    /// Notes that the file that becomes blob `name` was found written now.
    func dropped(_ name: String, at instant: ContinuousClock.Instant = .now) {
        self.times.withLock { $0[name] = instant }
    }

    /// How long ago blob `name`'s file was dropped, forgetting it; nil when it was not dropped
    /// by this process (uploaded another way, or before a restart).
    func takeElapsed(_ name: String) -> Duration? {
        self.times.withLock { $0.removeValue(forKey: name) }.map { ContinuousClock.now - $0 }
    }
}
