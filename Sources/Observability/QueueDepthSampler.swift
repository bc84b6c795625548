public import Logging
import Metrics
public import ServiceLifecycle
public import StorageClient

/// Samples the work and poison queues' approximate message counts into the
/// `blobflow_queue_depth{queue,role}` gauge. Runs only when the metrics endpoint is on: each
/// sample costs one request per queue.
public struct QueueDepthSampler: Service {
    let queues: [(role: String, client: QueueClient)]
    let interval: Duration
    let logger: Logger

    /// Samples `work` and `poison` every `interval`.
    public init(work: QueueClient, poison: QueueClient, interval: Duration = .seconds(30), logger: Logger) {
        self.queues = [("work", work), ("poison", poison)]
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            for (role, queue) in self.queues {
                do {
                    let depth = try await queue.properties().approximateMessageCount
                    Gauge(label: "blobflow_queue_depth", dimensions: [("queue", queue.name), ("role", role)]).record(
                        depth
                    )
                } catch {
                    self.logger.debug(
                        "could not sample a queue's depth",
                        metadata: ["queue": "\(queue.name)", "error": "\(error)"]
                    )
                }
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }
}
