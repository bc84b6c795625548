/// Why a bearer token was refused, with the detail Azure Storage puts in
/// `<AuthenticationErrorDetail>`. Errors compare equal by kind, whatever their detail.
///
/// The detail never quotes the token: it is a credential even when the server does not check
/// its signature.
struct BearerTokenError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case malformed
        case tooLong
        case unsigned
        case expired
        case notYetValid
        case audience
        case issuer
    }

    private let code: Code
    /// The reason, worded as Azure words it where Azure has a wording.
    let detail: String

    private init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// Not three base64url parts, or a header or payload that is not a JSON object of the right shape.
    static func malformed(_ reason: String) -> Self {
        .init(.malformed, "The access token is not a well-formed JWT: \(reason).")
    }
    /// Any malformed token, for comparisons.
    static let malformed = Self.malformed("")
    /// Longer than ``BearerToken/maxLength``.
    static let tooLong = Self(.tooLong, "The access token is longer than \(BearerToken.maxLength) characters.")
    /// `alg` is `none` or the signature part is empty: Microsoft Entra ID signs every token.
    static let unsigned = Self(.unsigned, "Signature validation failed. The token is unsigned.")
    /// `exp` is more than the allowed clock skew in the past.
    static let expired = Self(.expired, "Lifetime validation failed. The token is expired.")
    /// `nbf` is more than the allowed clock skew in the future.
    static let notYetValid = Self(.notYetValid, "Lifetime validation failed. The token is not yet valid.")
    /// `aud` names neither Azure Storage nor this account's endpoint of this service.
    static let audience = Self(.audience, "Audience validation failed. Audience did not match.")
    /// `iss` is missing or not an https URL.
    static let issuer = Self(.issuer, "Issuer validation failed. Issuer did not match.")

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    func hash(into hasher: inout Hasher) { hasher.combine(self.code) }

    var description: String { self.detail }
}
