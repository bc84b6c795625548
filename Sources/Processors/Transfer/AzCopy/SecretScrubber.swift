import Foundation
import StorageCore

/// Takes SAS signatures out of text azcopy produced before it reaches an error or a log: every
/// `sig=...` (StorageCore's redaction), and the signatures handed to this azcopy run wherever
/// they appear, however azcopy re-encoded or re-cased them.
struct SecretScrubber: Sendable {
    private let secrets: [String]

    /// A scrubber for the signatures in `urls`.
    init(signaturesIn urls: [String]) {
        var secrets: Set<String> = []
        for url in urls {
            guard let query = url.split(separator: "?", maxSplits: 1).dropFirst().first else { continue }
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "sig", !parts[1].isEmpty else { continue }
                let raw = String(parts[1])
                secrets.insert(raw)
                if let decoded = PercentEncoding.decode(raw), !decoded.isEmpty { secrets.insert(decoded) }
            }
        }
        // Longest first, so a secret is never half-replaced through a shorter variant.
        self.secrets = secrets.sorted { $0.count > $1.count }
    }

    /// `text` without any SAS signature.
    func scrub(_ text: String) -> String {
        var result = text
        for secret in self.secrets where result.range(of: secret, options: .caseInsensitive) != nil {
            result = result.replacingOccurrences(of: secret, with: "REDACTED", options: .caseInsensitive)
        }
        return SecretRedaction.redactSecrets(in: result)
    }
}
