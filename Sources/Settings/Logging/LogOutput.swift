import Glibc
import StorageCore

/// Where log lines go: a file descriptor, written one whole line per `write(2)` so lines from
/// concurrent tasks never interleave.
public struct LogOutput: Sendable {
    let descriptor: Int32

    /// Standard error.
    public static let standardError = LogOutput(descriptor: 2)
    /// Standard output.
    public static let standardOutput = LogOutput(descriptor: 1)

    /// Writes `line` and a newline.
    func write(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(10)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(self.descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }

    /// Text with secrets (SAS signatures, keys, bearer tokens) removed.
    static func redact(_ text: String) -> String {
        SecretRedaction.redactSecrets(in: text)
    }
}
