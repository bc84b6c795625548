import StorageCore

/// A token credential could not provide a token.
///
/// Three kinds: the credential is *unavailable* here (not configured, no identity endpoint
/// answers), which lets a ``ChainedTokenCredential`` try the next one; the issuer *refused* the
/// request or could not be reached; or the issuer's reply was not a token (*invalid response*).
///
/// The message never contains a token, a client assertion, the identity header's value or any
/// other secret, so the error may be logged as it is.
public struct CredentialError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable {
        case unavailable
        case authenticationFailed
        case invalidResponse
    }

    private let code: Code
    /// The credential that failed, such as `ManagedIdentityCredential`.
    public let credential: String
    /// The HTTP status of the issuer's reply, when there was one.
    public let status: Int?
    /// What went wrong, in words.
    public let message: String

    private init(_ code: Code, credential: String, status: Int?, message: String) {
        self.code = code
        self.credential = credential
        self.status = status
        self.message = message
    }

    /// The credential is not set up in this environment (missing configuration, no identity
    /// endpoint, no identity assigned); another credential may work.
    static func unavailable(_ credential: String, _ message: String, status: Int? = nil) -> Self {
        .init(.unavailable, credential: credential, status: status, message: message)
    }

    /// The credential is set up, but the issuer refused the request or could not be reached.
    static func authenticationFailed(_ credential: String, _ message: String, status: Int? = nil) -> Self {
        .init(.authenticationFailed, credential: credential, status: status, message: message)
    }

    /// The issuer answered with something that is not a token.
    static func invalidResponse(_ credential: String, _ message: String, status: Int? = nil) -> Self {
        .init(.invalidResponse, credential: credential, status: status, message: message)
    }

    /// Whether the credential is not set up in this environment, so that trying another
    /// credential makes sense. False when it is set up and failed.
    public var isUnavailable: Bool { self.code == .unavailable }

    /// Whether the issuer refused the request or could not be reached.
    var isAuthenticationFailure: Bool { self.code == .authenticationFailed }

    /// Whether the issuer's reply was not a token.
    var isInvalidResponse: Bool { self.code == .invalidResponse }

    public var description: String {
        let kind: String
        switch self.code {
        case .unavailable: kind = "unavailable"
        case .authenticationFailed: kind = "authentication failed"
        case .invalidResponse: kind = "invalid response"
        }
        let status = self.status.map { " (HTTP \($0))" } ?? ""
        return "\(self.credential) \(kind)\(status): \(self.message)"
    }

    /// Text from an issuer made fit for a message: every known secret replaced, anything that
    /// looks like a key, signature or bearer token redacted, line breaks flattened, and cut to
    /// a length that a log line can carry.
    static func sanitized(_ text: String, removing secrets: [String] = [], limit: Int = 400) -> String {
        var result = text
        for secret in secrets where !secret.isEmpty {
            result = result.replacing(secret, with: "<redacted>")
        }
        result = SecretRedaction.redactSecrets(in: result)
        result = String(result.map { $0.isNewline || $0 == "\t" ? " " : $0 })
        if result.count > limit {
            result = String(result.prefix(limit)) + "…"
        }
        return result
    }
}
