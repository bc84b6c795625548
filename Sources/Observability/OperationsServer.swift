public import Consumer
import Foundation
import Hummingbird
public import Logging
import NIOCore
public import Prometheus
public import ServiceLifecycle
import StorageCore

/// The operations endpoints on one port: `GET /healthz` (200 while the queue answered a poll
/// recently, else 503), `GET /readyz` (200 while consuming, 503 while starting or shutting down)
/// and `GET /metrics` (Prometheus text format). Nothing else is served, and nothing secret is in
/// any of them.
public struct OperationsServer: Service {
    let host: String
    let port: Int
    let statistics: ConsumerStatistics
    let registry: PrometheusCollectorRegistry
    let health: HealthPolicy
    let logger: Logger
    let onListening: @Sendable (Int) async -> Void

    /// A server on `host:port` (port 0 picks one; `onListening` learns which).
    public init(
        host: String = "0.0.0.0",
        port: Int,
        statistics: ConsumerStatistics,
        registry: PrometheusCollectorRegistry,
        health: HealthPolicy,
        logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.statistics = statistics
        self.registry = registry
        self.health = health
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let statistics = self.statistics
        let registry = self.registry
        let health = self.health
        let router = Router()
        router.get("healthz") { _, _ -> Response in
            let age = statistics.timeSinceLastSuccessfulPoll
            let healthy = health.isHealthy(statistics)
            let body =
                healthy
                ? "ok: last successful poll \(Self.seconds(age)) s ago\n"
                : "unhealthy: no successful poll for \(Self.seconds(age)) s (limit \(Self.seconds(health.staleAfter)) s)\n"
            return Self.text(body, status: healthy ? .ok : .serviceUnavailable)
        }
        router.get("readyz") { _, _ -> Response in
            statistics.isReady
                ? Self.text("ready\n", status: .ok) : Self.text("not ready\n", status: .serviceUnavailable)
        }
        router.get("metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            registry.emit(into: &buffer)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        var quiet = self.logger
        quiet.logLevel = .warning
        let onListening = self.onListening
        let logger = self.logger
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(self.host, port: self.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info(
                    "operations endpoints listening",
                    metadata: ["port": "\(port)", "paths": "/healthz /readyz /metrics"]
                )
                await onListening(port)
            },
            logger: quiet
        )
        try await application.run()
    }

    private static func text(_ body: String, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    private static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f", duration.fractionalSeconds)
    }
}
