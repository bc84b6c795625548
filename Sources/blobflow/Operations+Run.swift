import Consumer
import Foundation
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

    /// Bootstraps swift-metrics (once per process) with the Prometheus backend when `/metrics` is
    /// served, and the OpenTelemetry one when metrics are exported; returns Prometheus's registry.
    /// Call before creating anything that records metrics.
    static func bootstrapMetrics(prometheus: Bool, otel: (any MetricsFactory)?) -> PrometheusCollectorRegistry? {
        Self.registry.withLock { existing in
            if let existing { return existing }
            var factories: [any MetricsFactory] = []
            var registry: PrometheusCollectorRegistry?
            if prometheus {
                let created = PrometheusCollectorRegistry()
                var factory = PrometheusMetricsFactory(registry: created)
                // One file can take from milliseconds (noop) to an hour (a large file through a slow
                // app): the library's default buckets stop at 10 s, where a p95 alert would go blind.
                factory.durationHistogramBuckets = Self.histogramBuckets
                factories.append(factory)
                registry = created
            }
            if let otel { factories.append(otel) }
            switch factories.count {
            case 0: return nil
            case 1: MetricsSystem.bootstrap(factories[0])
            default: MetricsSystem.bootstrap(MultiplexMetricsHandler(factories: factories))
            }
            existing = registry
            return registry
        }
    }

    /// OpenTelemetry export when the OTEL_* variables ask for it; nothing otherwise.
    static func bootstrapTelemetry(logger: Logger) throws -> Telemetry.Backends {
        let request = Telemetry.Request(environment: ProcessInfo.processInfo.environment)
        guard !request.isEmpty else { return .none }
        let backends = try Telemetry.bootstrap(request, durationBuckets: Self.histogramBuckets)
        logger.info(
            "exporting OpenTelemetry",
            metadata: ["traces": "\(request.traces)", "metrics": "\(request.metrics)"]
        )
        return backends
    }

    /// The timers whose buckets reach an hour.
    static let histogramBuckets: [String: [Duration]] = [
        "blobflow_processing_duration_seconds": Self.durationBuckets,
        "blobflow_step_duration_seconds": Self.durationBuckets,
    ]

    /// Histogram buckets for processing and step times, from 10 ms to an hour.
    static let durationBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        .seconds(120), .seconds(300), .seconds(600), .seconds(900), .seconds(1800), .seconds(3600),
    ]

    /// The endpoint server and the queue-depth sampler, or nothing when the port is not set.
    static func services(
        _ settings: BlobflowSettings,
        statistics: ConsumerStatistics,
        registry: PrometheusCollectorRegistry?,
        pipeline: StoragePipeline,
        logger: Logger
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard let port = settings.httpPort, let registry else { return [] }
        let server = OperationsServer(
            host: settings.httpHost,
            port: port,
            statistics: statistics,
            registry: registry,
            health: HealthPolicy(maxPollInterval: settings.consumer.maxPollInterval),
            logger: logger
        )
        let sampler = QueueDepthSampler(
            work: pipeline.queue(settings.consumer.queueName),
            poison: pipeline.queue(settings.consumer.poisonQueueName),
            logger: logger
        )
        return [.init(service: server, failureTerminationBehavior: .gracefullyShutdownGroup), .init(service: sampler)]
    }
}
