import StorageCore

/// Removes secrets (SAS signatures, keys, tokens) from text bound for errors and logs.
enum Redaction {
    static func redact(_ text: String) -> String {
        SecretRedaction.redactSecrets(in: text)
    }
}
