import Foundation

/// Removes secrets from text before it reaches a log, an error or a file: SAS signatures,
/// account keys and bearer tokens.
public enum SecretRedaction {
    /// The URL with its SAS signature replaced by `REDACTED`. The other SAS fields (permissions,
    /// expiry) stay: they are useful when diagnosing and grant nothing without the signature.
    public static func redactQuery(_ text: String) -> String {
        guard let mark = text.firstIndex(of: "?") else { return Self.redactSecrets(in: text) }
        let base = text[..<mark]
        let query = text[text.index(after: mark)...]
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return name.lowercased() == "sig" ? "sig=REDACTED" : String(pair)
        }
        return String(base) + "?" + parts.joined(separator: "&")
    }

    /// Redacts `sig=...`, `AccountKey=...`, `SharedAccessSignature=...` and `Bearer ...`
    /// wherever they appear in free text.
    public static func redactSecrets(in text: String) -> String {
        var result = text
        for marker in ["sig=", "AccountKey=", "SharedAccessSignature=", "Bearer ", "SharedKey "] {
            result = Self.redactValues(after: marker, in: result)
        }
        return result
    }

    private static func redactValues(after marker: String, in text: String) -> String {
        guard text.contains(marker) else { return text }
        var output = ""
        var rest = Substring(text)
        while let range = rest.range(of: marker, options: .caseInsensitive) {
            output += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            // The secret ends at the next separator.
            let end =
                rest.firstIndex {
                    $0 == "&" || $0 == ";" || $0 == " " || $0 == "\"" || $0 == "'" || $0 == "\n" || $0 == ","
                } ?? rest.endIndex
            // After the scheme words ("Bearer ", "SharedKey ") a plain lower-case word is prose,
            // as in Azure's "Bearer is not supported"; tokens and signatures never look like that.
            if marker.hasSuffix(" "), rest[..<end].allSatisfy({ $0.isASCII && $0.isLowercase }) {
                continue
            }
            output += "REDACTED"
            rest = rest[end...]
        }
        return output + rest
    }
}
