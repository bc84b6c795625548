import Foundation
public import Logging

/// Writes `HH:MM:SS.mmm LEVEL message key=value ...` lines for a terminal. Secrets are redacted.
public struct TextLogHandler: LogHandler {
    /// The logger's label (not printed: one program, one voice).
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let output: LogOutput
    let hiddenMetadata: Set<String>
    let isHidden: (@Sendable (LogEvent) -> Bool)?

    /// A handler writing to `output`, leaving out the metadata keys in `hiddenMetadata` and the
    /// events `isHidden` picks (the dev screen's step details, for one).
    public init(
        label: String,
        level: Logger.Level = .info,
        output: LogOutput = .standardError,
        hiddenMetadata: Set<String> = [],
        isHidden: (@Sendable (LogEvent) -> Bool)? = nil
    ) {
        self.label = label
        self.logLevel = level
        self.output = output
        self.hiddenMetadata = hiddenMetadata
        self.isHidden = isHidden
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        if let isHidden = self.isHidden, isHidden(event) { return }
        var fields = self.metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        let time = JSONLogHandler.timestamp().dropFirst(11).dropLast()
        // Continuation lines (an app's log tail) are indented under the message.
        let message = "\(event.message)".replacingOccurrences(of: "\n", with: "\n    ")
        var line =
            "\(time) \(event.level.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)) \(message)"
        for key in fields.keys.sorted() where !self.hiddenMetadata.contains(key) {
            let value = "\(fields[key]!)"
            line += " \(key)=" + (value.contains(" ") ? "\"\(value)\"" : value)
        }
        self.output.write(LogOutput.redact(line))
    }
}
