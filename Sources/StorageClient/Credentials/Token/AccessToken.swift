import StorageCore

/// A bearer token from Microsoft Entra ID, with the times it stops working and should be renewed.
///
/// The token never appears in `description`, `debugDescription` or reflection (`dump`, the
/// debugger): printing a value of this type prints only its expiry, so it may be logged.
public struct AccessToken: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable
{
    /// The OAuth scope that asks Microsoft Entra ID for a token Azure Storage accepts.
    public static let storageScope = "https://storage.azure.com/.default"

    /// The secret sent as `Authorization: Bearer <token>`.
    public let token: String
    /// When the token stops being accepted, in seconds since 1970 (UTC).
    public let expiresOn: Int64
    /// When the issuer suggests getting a new token, in seconds since 1970, if it said so
    /// (`refresh_in`) or the token lives long enough (two hours or more) to renew halfway.
    public let refreshOn: Int64?

    /// Creates a token.
    public init(token: String, expiresOn: Int64, refreshOn: Int64? = nil) {
        self.token = token
        self.expiresOn = expiresOn
        self.refreshOn = refreshOn
    }

    /// Whether the token is still accepted at `now` (seconds since 1970).
    func isUsable(at now: Int64) -> Bool {
        now < self.expiresOn
    }

    public var description: String {
        var text = "AccessToken(<redacted>, expires \(StorageDate(seconds: self.expiresOn).iso8601(fractionDigits: 0))"
        if let refreshOn = self.refreshOn {
            text += ", refresh \(StorageDate(seconds: refreshOn).iso8601(fractionDigits: 0))"
        }
        return text + ")"
    }

    public var debugDescription: String { self.description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["token": "<redacted>", "expiresOn": self.expiresOn, "refreshOn": self.refreshOn as Any],
            displayStyle: .struct
        )
    }
}
