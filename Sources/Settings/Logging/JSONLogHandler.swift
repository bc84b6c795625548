import Foundation
public import Logging

/// Writes each log record as one JSON object on one line: `timestamp` (ISO 8601, UTC,
/// milliseconds), `level`, `message`, `logger`, then the metadata (event_id, blob, step, seconds,
/// replica, ...) as top-level keys. Secrets are redacted from the message and every value.
public struct JSONLogHandler: LogHandler {
    /// The logger's label, written as `logger`.
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let output: LogOutput

    /// A handler writing to `output`.
    public init(label: String, level: Logger.Level = .info, output: LogOutput = .standardError) {
        self.label = label
        self.logLevel = level
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = self.metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        var line = "{\"timestamp\":\"\(Self.timestamp())\",\"level\":\"\(event.level.rawValue)\""
        line += ",\"message\":" + Self.quoted(LogOutput.redact(event.message.description))
        line += ",\"logger\":" + Self.quoted(self.label)
        for key in fields.keys.sorted() where !["timestamp", "level", "message", "logger"].contains(key) {
            line += "," + Self.quoted(key) + ":" + Self.encode(fields[key]!)
        }
        line += "}"
        self.output.write(line)
    }

    private static func encode(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text):
            // Numbers stay numbers, so log queries can compare durations.
            if let number = Double(text), number.isFinite, text.first.map({ $0.isNumber || $0 == "-" }) == true,
                !text.contains("e")
            {
                return text
            }
            return Self.quoted(LogOutput.redact(text))
        case .stringConvertible(let convertible):
            return Self.quoted(LogOutput.redact(convertible.description))
        case .array(let values):
            return "[" + values.map(Self.encode).joined(separator: ",") + "]"
        case .dictionary(let values):
            return "{"
                + values.keys.sorted().map { Self.quoted($0) + ":" + Self.encode(values[$0]!) }.joined(separator: ",")
                + "}"
        }
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            parts.tm_year + 1900,
            parts.tm_mon + 1,
            parts.tm_mday,
            parts.tm_hour,
            parts.tm_min,
            parts.tm_sec,
            Int(now.tv_nsec / 1_000_000)
        )
    }
}
