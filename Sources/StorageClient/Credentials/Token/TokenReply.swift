import Foundation

/// The JSON body of a token endpoint's reply, in any of the shapes Azure's issuers use.
///
/// - Microsoft Entra ID (`/oauth2/v2.0/token`): `access_token`, `expires_in` (a number),
///   `token_type`; on error `error` and `error_description`.
/// - IMDS: `access_token`, `expires_in` and `expires_on` (both as strings of digits),
///   `resource`, `token_type`; on error `error` and `error_description`.
/// - App Service and Container Apps (api-version 2019-08-01): `access_token`, `expires_on`
///   (epoch seconds, a string or a number), `resource`, `token_type`, `client_id`; on error
///   `statusCode` and `message`. The 2017-09-01 version wrote `expires_on` as a date such as
///   `09/14/2017 00:00:00 PM +00:00`, which is accepted too.
///
/// Any of them may add `refresh_in` (seconds), a hint to renew early.
struct TokenReply: Decodable {
    var accessToken: String?
    var expiresIn: Seconds?
    var expiresOn: Seconds?
    var refreshIn: Seconds?
    var error: String?
    var errorDescription: String?
    /// App Service's error fields.
    var message: String?

    private enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case expiresIn = "expires_in"
        case expiresOn = "expires_on"
        case refreshIn = "refresh_in"
        case error
        case errorDescription = "error_description"
        case message
    }

    /// A count of seconds written as a JSON number, a string of digits, or (for `expires_on`
    /// from old App Service versions) a date; `nil` inside when it is none of those.
    struct Seconds: Decodable {
        var value: Int64?

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let integer = try? container.decode(Int64.self) {
                self.value = integer
            } else if let number = try? container.decode(Double.self), number.isFinite, abs(number) < 1e15 {
                self.value = Int64(number)
            } else if let text = try? container.decode(String.self) {
                self.value = Self.parse(text)
            } else {
                self.value = nil
            }
        }

        static func parse(_ text: String) -> Int64? {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if let integer = Int64(trimmed) { return integer }
            if let number = Double(trimmed), number.isFinite, abs(number) < 1e15 { return Int64(number) }
            return Self.parseAppServiceDate(trimmed)
        }

        /// `M/d/yyyy h:mm:ss a ±hh:mm`, the `expires_on` of App Service api-version 2017-09-01.
        static func parseAppServiceDate(_ text: String) -> Int64? {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(secondsFromGMT: 0)
            formatter.dateFormat = "M/d/yyyy h:mm:ss a xxx"
            guard let date = formatter.date(from: text) else { return nil }
            return Int64(date.timeIntervalSince1970)
        }
    }

    /// Decodes a reply body; nil when it is not a JSON object.
    static func decode(_ body: [UInt8]) -> TokenReply? {
        try? JSONDecoder().decode(TokenReply.self, from: Data(body))
    }

    /// The issuer's own explanation of an error, sanitised, if it gave one.
    func errorSummary(removing secrets: [String]) -> String? {
        let parts = [self.error, self.errorDescription ?? self.message].compactMap { $0 }.filter { !$0.isEmpty }
        guard !parts.isEmpty else { return nil }
        return CredentialError.sanitized(parts.joined(separator: ": "), removing: secrets)
    }

    /// The token in a successful reply.
    ///
    /// The expiry comes from `expires_in` counted from `requestTime` when the reply has it
    /// (immune to a skewed local clock), else from `expires_on`. When the issuer gives no
    /// `refresh_in` and the token lives two hours or more, it is due for renewal halfway, as
    /// MSAL does.
    func accessToken(requestTime: Int64, credential: String, status: Int) throws(CredentialError) -> AccessToken {
        guard let token = self.accessToken, !token.isEmpty else {
            throw .invalidResponse(credential, "the reply has no access_token", status: status)
        }
        let expiresOn: Int64
        if let expiresIn = self.expiresIn?.value {
            expiresOn = requestTime + expiresIn
        } else if let absolute = self.expiresOn?.value {
            expiresOn = absolute
        } else if self.expiresIn != nil || self.expiresOn != nil {
            throw .invalidResponse(
                credential,
                "the reply's expires_in or expires_on is not a number of seconds",
                status: status
            )
        } else {
            throw .invalidResponse(credential, "the reply says neither expires_in nor expires_on", status: status)
        }
        let refreshOn: Int64?
        if let refreshIn = self.refreshIn?.value, refreshIn > 0 {
            refreshOn = requestTime + refreshIn
        } else if expiresOn - requestTime >= 7200 {
            refreshOn = requestTime + (expiresOn - requestTime) / 2
        } else {
            refreshOn = nil
        }
        return AccessToken(token: token, expiresOn: expiresOn, refreshOn: refreshOn)
    }
}
