import Tracing

/// The current trace context as environment variables (`TRACEPARENT`, and `TRACESTATE` when
/// there is one), the carrier OpenTelemetry's SDKs read, so that the app's own spans join the
/// event's trace. Empty when no trace is being recorded.
enum TraceContextEnvironment {
    static func current() -> [String: String] {
        guard let context = ServiceContext.current else { return [:] }
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: EnvironmentInjector())
        return carrier
    }

    private struct EnvironmentInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
            carrier[key.uppercased()] = value
        }
    }
}
