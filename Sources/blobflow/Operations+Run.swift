import Consumer
import Logging
import Metrics
import Observability
import Prometheus
import ServiceLifecycle
import Settings
import StorageClient
import Synchronization

/// The operations endpoints for `blobflow run`, when BLOBFLOW_HTTP_PORT is set.
enum OperationsSupport {
    private static let registry = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Bootstraps swift-metrics with the Prometheus backend (once per process) and returns its
    /// registry. Call before creating anything that records metrics.
    static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        Self.registry.withLock { existing in
            if let existing { return existing }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            existing = registry
            return registry
        }
    }

    /// The endpoint server and the queue-depth sampler, or nothing when the port is not set.
    static func services(
        _ settings: BlobflowSettings, statistics: ConsumerStatistics, registry: PrometheusCollectorRegistry?, pipeline: StoragePipeline,
        logger: Logger
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard let port = settings.httpPort, let registry else { return [] }
        let server = OperationsServer(
            host: settings.httpHost, port: port, statistics: statistics, registry: registry,
            health: HealthPolicy(maxPollInterval: settings.consumer.maxPollInterval), logger: logger
        )
        let sampler = QueueDepthSampler(
            work: pipeline.queue(settings.consumer.queueName), poison: pipeline.queue(settings.consumer.poisonQueueName), logger: logger
        )
        return [.init(service: server, failureTerminationBehavior: .gracefullyShutdownGroup), .init(service: sampler)]
    }
}
