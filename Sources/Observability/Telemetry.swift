public import CoreMetrics
import Foundation
import Logging
import OTel
public import ServiceLifecycle
import Tracing

/// OpenTelemetry export over OTLP/HTTP: one trace per event and the same metrics as `/metrics`,
/// configured by the standard `OTEL_*` variables and off unless they ask for it.
///
/// Container Apps' managed OpenTelemetry agent (and any collector) receives OTLP; blobflow's own
/// logs stay on standard error, where the platform already collects them.
public enum Telemetry {
    /// Which signals the environment asks to export.
    public struct Request: Sendable, Hashable {
        /// Export spans.
        public var traces: Bool
        /// Export metrics.
        public var metrics: Bool

        /// Whether anything is exported.
        public var isEmpty: Bool { !self.traces && !self.metrics }

        /// Reads the request from `OTEL_*` variables: a signal is on when its exporter is set to
        /// `otlp` or `console` (`OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER`), or when an OTLP
        /// endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or the signal's own) and its exporter is
        /// not `none`. `OTEL_SDK_DISABLED=true` turns everything off.
        public init(environment: [String: String]) {
            func value(_ name: String) -> String? {
                guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
                    return nil
                }
                return text
            }
            if value("OTEL_SDK_DISABLED")?.lowercased() == "true" {
                self.traces = false
                self.metrics = false
                return
            }
            let anyEndpoint = value("OTEL_EXPORTER_OTLP_ENDPOINT") != nil
            func wanted(exporter: String, endpoint: String) -> Bool {
                if let selection = value(exporter)?.lowercased() { return selection != "none" }
                return anyEndpoint || value(endpoint) != nil
            }
            self.traces = wanted(exporter: "OTEL_TRACES_EXPORTER", endpoint: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            self.metrics = wanted(exporter: "OTEL_METRICS_EXPORTER", endpoint: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
        }
    }

    /// What ``bootstrap(_:durationBuckets:)`` set up.
    public struct Backends {
        /// The metrics factory to add beside Prometheus's, when metrics are exported.
        public var metrics: (any MetricsFactory)?
        /// Exporters' background work; run them in the service group before the consumer, so that
        /// on shutdown they stop last and flush what the consumer's last spans left pending.
        public var services: [any Service]

        /// Nothing to export.
        public static var none: Backends { Backends(metrics: nil, services: []) }
    }

    /// Creates the exporters the request asks for and bootstraps the tracer (once per process).
    ///
    /// The service name defaults to `blobflow` (`OTEL_SERVICE_NAME` overrides it); every other
    /// setting, batching and export intervals included (`OTEL_BSP_SCHEDULE_DELAY`,
    /// `OTEL_METRIC_EXPORT_INTERVAL`, `OTEL_RESOURCE_ATTRIBUTES`, headers, timeouts), is read by
    /// the OpenTelemetry library from the environment.
    ///
    /// - Parameter durationBuckets: Histogram buckets per timer label, as `/metrics` uses them.
    public static func bootstrap(_ request: Request, durationBuckets: [String: [Duration]] = [:]) throws -> Backends {
        var configuration = OTel.Configuration.default
        configuration.serviceName = "blobflow"
        configuration.logs.enabled = false
        configuration.traces.enabled = request.traces
        configuration.metrics.enabled = request.metrics
        configuration.metrics.durationHistogramBuckets = durationBuckets
        var backends = Backends(metrics: nil, services: [])
        if request.traces {
            let tracing = try OTel.makeTracingBackend(configuration: configuration)
            InstrumentationSystem.bootstrap(tracing.factory)
            backends.services.append(tracing.service)
        }
        if request.metrics {
            let metrics = try OTel.makeMetricsBackend(configuration: configuration)
            backends.metrics = metrics.factory
            backends.services.append(metrics.service)
        }
        return backends
    }
}
