import Foundation
import StorageClient

/// Unsigned JWTs shaped like Microsoft Entra ID v1 access tokens, which the development server
/// accepts in OAuth mode (it checks claims, not signatures).
enum TestTokens {
    /// The principal (`oid`) of every test token.
    static let objectID = "0b5e3c1a-2f4d-4e6a-8b9c-1d2e3f4a5b6c"
    /// The tenant (`tid`) of every test token.
    static let tenantID = "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a"

    /// A token for `audience` that expires `lifetime` seconds from now (negative: already expired).
    static func make(audience: String = "https://storage.azure.com", lifetime: Int64 = 3600) -> String {
        let now = Int64(Date().timeIntervalSince1970)
        let header: [String: Any] = ["alg": "RS256", "typ": "JWT"]
        let claims: [String: Any] = [
            "aud": audience, "iss": "https://sts.windows.net/\(Self.tenantID)/", "iat": now - 60, "nbf": now - 60,
            "exp": now + lifetime, "oid": Self.objectID, "tid": Self.tenantID, "sub": Self.objectID, "ver": "1.0",
        ]
        return Self.base64URL(header) + "." + Self.base64URL(claims) + ".bm90LWEtcmVhbC1zaWduYXR1cmU"
    }

    private static func base64URL(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                of: "=",
                with: ""
            )
    }
}

/// A credential that always answers the same token: what a managed identity would hand out,
/// minus the token endpoint.
struct FixedTokenCredential: TokenCredential {
    let token: String
    let expiresOn: Int64

    init(lifetime: Int64 = 3600, audience: String = "https://storage.azure.com") {
        self.token = TestTokens.make(audience: audience, lifetime: lifetime)
        self.expiresOn = Int64(Date().timeIntervalSince1970) + lifetime
    }

    func token(forScope scope: String) async throws -> AccessToken {
        AccessToken(token: self.token, expiresOn: self.expiresOn)
    }
}
