public import Logging

/// How log lines look.
public enum LogFormat: String, Sendable, CaseIterable {
    /// One JSON object per line: for containers and log pipelines.
    case json
    /// `time level message key=value ...`: for people at a terminal.
    case text

    /// A log handler factory writing this format to standard error at `level`; text lines leave
    /// out the metadata keys in `hiddenMetadata`, and the events `isHidden` picks (JSON lines keep
    /// everything).
    public func makeHandler(
        level: Logger.Level,
        hiddenMetadata: Set<String> = [],
        isHidden: (@Sendable (LogEvent) -> Bool)? = nil
    ) -> @Sendable (String) -> any LogHandler {
        switch self {
        case .json:
            return { label in JSONLogHandler(label: label, level: level, output: .standardError) }
        case .text:
            return { label in
                TextLogHandler(
                    label: label,
                    level: level,
                    output: .standardError,
                    hiddenMetadata: hiddenMetadata,
                    isHidden: isHidden
                )
            }
        }
    }
}
