public import Checkpoints
public import Logging
public import ServiceLifecycle

/// Removes completed checkpoint records older than the retention period, once at start and then
/// on a timer, so the shared folder does not grow without bound. Dead-lettered records are kept
/// until they are replayed or purged.
public struct CheckpointPruner: Service {
    let store: CheckpointStore
    let retention: Duration
    let interval: Duration
    let logger: Logger

    /// A pruner running every `interval`.
    public init(store: CheckpointStore, retention: Duration, interval: Duration = .seconds(3600), logger: Logger) {
        self.store = store
        self.retention = retention
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let report = try self.store.prune(completedOlderThan: self.retention)
                if report.records + report.claims + report.leftovers + report.corruptFiles > 0 {
                    self.logger.info("pruned the checkpoint folder: \(report)")
                }
            } catch {
                self.logger.warning(
                    "could not prune the checkpoint folder; will try again",
                    metadata: ["error": "\(error)"]
                )
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }
}
