import Foundation
public import Logging

/// Writes `HH:MM:SS.mmm LEVEL message key=value ...` lines for a terminal. Secrets are redacted.
public struct TextLogHandler: LogHandler {
    /// The logger's label (not printed: one program, one voice).
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
        let time = JSONLogHandler.timestamp().dropFirst(11).dropLast()
        var line = "\(time) \(event.level.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)) \(event.message)"
        for key in fields.keys.sorted() {
            let value = "\(fields[key]!)"
            line += " \(key)=" + (value.contains(" ") ? "\"\(value)\"" : value)
        }
        self.output.write(LogOutput.redact(line))
    }
}
