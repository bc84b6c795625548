import Foundation
import StorageAuth
import StorageCore
import Testing

@testable import DevStorage

/// Builds JWTs for the tests: any header and payload, signed with junk.
private enum JWT {
    static let now: Int64 = 1_800_000_000
    static let tenant = "72b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d"

    static func part(_ object: Any) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])) ?? Data()
        return base64URL(data)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                of: "=",
                with: ""
            )
    }

    static func claims(
        aud: Any = "https://storage.azure.com",
        iss: String? = "https://sts.windows.net/\(JWT.tenant)/",
        exp: Any? = JWT.now + 3600,
        nbf: Any? = JWT.now - 60
    ) -> [String: Any] {
        var claims: [String: Any] = [
            "aud": aud, "oid": "0a1b2c3d-0000-4000-8000-000000000001", "tid": JWT.tenant, "iat": JWT.now - 60,
        ]
        if let iss { claims["iss"] = iss }
        if let exp { claims["exp"] = exp }
        if let nbf { claims["nbf"] = nbf }
        return claims
    }

    static func token(
        header: Any = ["alg": "RS256", "typ": "JWT"],
        claims: Any = JWT.claims(),
        signature: String = "c2lnbmF0dXJl"
    ) -> String {
        part(header) + "." + part(claims) + "." + signature
    }
}

@Suite struct BearerTokenTests {
    private func validated(
        _ token: String,
        account: String = "devstoreaccount1",
        service: StorageService = .blob,
        now: Int64 = JWT.now
    ) throws(BearerTokenError) -> BearerToken {
        let parsed = try BearerToken(parsing: token)
        try parsed.validate(account: account, service: service, now: now)
        return parsed
    }

    @Test func aGoodTokenIsAcceptedAndNamesItsPrincipal() throws {
        let token = try self.validated(JWT.token())
        #expect(token.algorithm == "RS256")
        #expect(token.objectID == "0a1b2c3d-0000-4000-8000-000000000001")
        #expect(token.tenantID == JWT.tenant)
        #expect(token.headerSafeTenantID == JWT.tenant)
        #expect(token.expiresOn == JWT.now + 3600)
    }

    @Test(arguments: [
        "https://storage.azure.com", "https://storage.azure.com/", "e406a681-f3d4-42a8-90b6-c2b029497af1",
        "https://devstoreaccount1.blob.core.windows.net", "https://devstoreaccount1.blob.core.windows.net/",
        "https://devstoreaccount1.dfs.core.windows.net", "https://devstoreaccount1.blob.core.chinacloudapi.cn",
    ])
    func blobAudiences(audience: String) throws {
        _ = try self.validated(JWT.token(claims: JWT.claims(aud: audience)))
    }

    @Test func queueAudiencesAndAudienceArrays() throws {
        _ = try self.validated(
            JWT.token(claims: JWT.claims(aud: "https://devstoreaccount1.queue.core.windows.net")),
            service: .queue
        )
        _ = try self.validated(
            JWT.token(claims: JWT.claims(aud: ["https://example.com", "https://storage.azure.com/"]))
        )
        #expect(throws: BearerTokenError.audience) {
            try self.validated(
                JWT.token(claims: JWT.claims(aud: "https://devstoreaccount1.queue.core.windows.net")),
                service: .blob
            )
        }
    }

    @Test(arguments: [
        "https://vault.azure.net", "https://management.azure.com/", "https://otheraccount.blob.core.windows.net",
        "https://devstoreaccount1.blob.core.windows.net.evil.example", "http://storage.azure.com", "storage.azure.com",
        "",
    ])
    func wrongAudiencesAreRefused(audience: String) {
        #expect(throws: BearerTokenError.audience) { try self.validated(JWT.token(claims: JWT.claims(aud: audience))) }
    }

    @Test func aMissingAudienceIsRefused() {
        var claims = JWT.claims()
        claims["aud"] = nil
        #expect(throws: BearerTokenError.audience) { try self.validated(JWT.token(claims: claims)) }
    }

    @Test func expiryAllowsFiveMinutesOfSkew() throws {
        let expired = JWT.token(claims: JWT.claims(exp: JWT.now - 3600))
        #expect(throws: BearerTokenError.expired) { try self.validated(expired) }
        #expect(throws: BearerTokenError.expired) {
            try self.validated(JWT.token(claims: JWT.claims(exp: JWT.now - 301)))
        }
        _ = try self.validated(JWT.token(claims: JWT.claims(exp: JWT.now - 299)))
        _ = try self.validated(JWT.token(claims: JWT.claims(exp: Double(JWT.now) + 0.5)))
    }

    @Test func notBeforeAllowsFiveMinutesOfSkew() throws {
        #expect(throws: BearerTokenError.notYetValid) {
            try self.validated(JWT.token(claims: JWT.claims(nbf: JWT.now + 3600)))
        }
        #expect(throws: BearerTokenError.notYetValid) {
            try self.validated(JWT.token(claims: JWT.claims(nbf: JWT.now + 301)))
        }
        _ = try self.validated(JWT.token(claims: JWT.claims(nbf: JWT.now + 299)))
        _ = try self.validated(JWT.token(claims: JWT.claims(nbf: nil)))
    }

    @Test func issuerMustBeAnHTTPSURL() throws {
        _ = try self.validated(
            JWT.token(claims: JWT.claims(iss: "https://login.microsoftonline.com/\(JWT.tenant)/v2.0"))
        )
        _ = try self.validated(JWT.token(claims: JWT.claims(iss: "https://sts.chinacloudapi.cn/\(JWT.tenant)/")))
        for issuer in [nil, "http://sts.windows.net/x/", "sts.windows.net", "https://"] as [String?] {
            #expect(throws: BearerTokenError.issuer) { try self.validated(JWT.token(claims: JWT.claims(iss: issuer))) }
        }
    }

    @Test func theTenantFallsBackToTheIssuerPath() throws {
        var claims = JWT.claims(iss: "https://login.microsoftonline.com/feedface-0000-4000-8000-000000000000/v2.0")
        claims["tid"] = nil
        claims["oid"] = nil
        claims["sub"] = "subject-1"
        let token = try self.validated(JWT.token(claims: claims))
        #expect(token.tenantID == "feedface-0000-4000-8000-000000000000")
        #expect(token.objectID == "subject-1")
        var odd = JWT.claims()
        odd["tid"] = "bad tenant\r\nX-Injected: 1"
        #expect(try BearerToken(parsing: JWT.token(claims: odd)).headerSafeTenantID == nil)
    }

    @Test(arguments: [
        "", "not-a-jwt", "a.b", "a.b.c.d", "!!!.eyJ9.sig", "....", "eyJhbGciOiJSUzI1NiJ9.%%%.c2ln",
        // Header and payload that are base64url but not JSON objects.
        JWT.base64URL(Data("not json".utf8)) + "." + JWT.part(JWT.claims()) + ".c2ln",
        JWT.part(["alg": "RS256"]) + "." + JWT.part([1, 2, 3]) + ".c2ln",
        JWT.part(["typ": "JWT"]) + "." + JWT.part(JWT.claims()) + ".c2ln",
        JWT.part(["alg": 256]) + "." + JWT.part(JWT.claims()) + ".c2ln",
        // A length no base64 text has.
        JWT.part(["alg": "RS256"]) + "." + JWT.part(JWT.claims()) + ".abcde",
    ])
    func garbageIsMalformed(token: String) {
        #expect(throws: BearerTokenError.malformed) { try BearerToken(parsing: token) }
    }

    @Test func claimsOfTheWrongTypeAreMalformed() {
        #expect(throws: BearerTokenError.malformed) {
            try BearerToken(parsing: JWT.token(claims: JWT.claims(exp: "tomorrow")))
        }
        #expect(throws: BearerTokenError.malformed) {
            try BearerToken(parsing: JWT.token(claims: JWT.claims(exp: nil)))
        }
        #expect(throws: BearerTokenError.malformed) {
            try BearerToken(parsing: JWT.token(claims: JWT.claims(exp: 1e300)))
        }
        #expect(throws: BearerTokenError.malformed) { try BearerToken(parsing: JWT.token(claims: JWT.claims(aud: 42))) }
        var claims = JWT.claims()
        claims["oid"] = ["not", "a", "string"]
        #expect(throws: BearerTokenError.malformed) { try BearerToken(parsing: JWT.token(claims: claims)) }
    }

    @Test func unsignedTokensAreRefused() {
        #expect(throws: BearerTokenError.unsigned) {
            try BearerToken(parsing: JWT.token(header: ["alg": "none"], signature: ""))
        }
        #expect(throws: BearerTokenError.unsigned) {
            try BearerToken(parsing: JWT.token(header: ["alg": "None"], signature: "c2ln"))
        }
        #expect(throws: BearerTokenError.unsigned) { try BearerToken(parsing: JWT.token(signature: "")) }
    }

    @Test func hugeTokensAreRefusedBeforeDecoding() throws {
        let padding = String(repeating: "a", count: BearerToken.maxLength)
        var claims = JWT.claims()
        claims["groups"] = padding
        #expect(throws: BearerTokenError.tooLong) { try BearerToken(parsing: JWT.token(claims: claims)) }
        #expect(throws: BearerTokenError.tooLong) {
            try BearerToken(parsing: String(repeating: "A", count: 10 * 1024 * 1024))
        }
        claims["groups"] = String(repeating: "a", count: 8 * 1024)
        _ = try self.validated(JWT.token(claims: claims))
    }

    @Test func errorsNeverQuoteTheToken() {
        let token = JWT.token(claims: JWT.claims(exp: JWT.now - 3600))
        do {
            _ = try self.validated(token)
            Issue.record("expected a failure")
        } catch {
            #expect(!error.detail.contains(token))
            #expect(!error.detail.contains("c2lnbmF0dXJl"))
            #expect(error.detail == "Lifetime validation failed. The token is expired.")
        }
    }

    @Test func base64URLAcceptsPaddingAndRefusesOtherAlphabets() {
        #expect(BearerToken.base64URLDecode("-_8") == Data([0xFB, 0xFF]))
        #expect(BearerToken.base64URLDecode("-_8=") == Data([0xFB, 0xFF]))
        #expect(BearerToken.base64URLDecode("+/8=") == nil)
        #expect(BearerToken.base64URLDecode("") == Data())
        #expect(BearerToken.base64URLDecode("a") == nil)
    }
}

@Suite struct UserDelegationKeyTests {
    private let accountKey = StorageAccountKey(
        accountName: DevStorageConfiguration.developmentAccountName,
        base64Key: DevStorageConfiguration.developmentAccountKey
    )!
    private let now = StorageDate.now()

    private func fields(objectID: String = "oid-1", expiresIn: Int64 = 3600) -> UserDelegationKeyFields {
        UserDelegationKeyFields(
            objectID: objectID,
            tenantID: "tid-1",
            start: StorageDate(seconds: self.now.seconds - 300),
            expiry: StorageDate(seconds: self.now.seconds + expiresIn),
            service: "b",
            version: "2025-05-05"
        )
    }

    @Test func keysAreDerivedDeterministicallyFromTheirFields() {
        let authorizer = RequestAuthorizer(accounts: [self.accountKey], acceptsBearerTokens: true)
        let key = authorizer.userDelegationKey(self.fields(), accountKey: self.accountKey)
        #expect(key.value == authorizer.userDelegationKey(self.fields(), accountKey: self.accountKey).value)
        #expect(
            key.value != authorizer.userDelegationKey(self.fields(objectID: "oid-2"), accountKey: self.accountKey).value
        )
        #expect(Data(base64Encoded: key.value)?.count == 32)
        // Not a plain account-key signature of anything the derivation writes.
        #expect(key.value != self.accountKey.signature(for: "udk"))
        let other = StorageAccountKey(
            accountName: "devstoreaccount1",
            base64Key: Data(repeating: 7, count: 64).base64EncodedString()
        )!
        #expect(key.value != authorizer.userDelegationKey(self.fields(), accountKey: other).value)
    }

    @Test func aSASSignedWithAnIssuedKeyVerifies() throws {
        let authorizer = RequestAuthorizer(accounts: [self.accountKey], acceptsBearerTokens: true)
        let key = authorizer.userDelegationKey(self.fields(), accountKey: self.accountKey)
        var sas = SharedAccessSignature(
            version: "2025-11-05",
            permissions: "r",
            expiry: self.now.adding(seconds: 600).iso8601(fractionDigits: 0)
        )
        sas.resource = "b"
        let scope = SharedAccessSignature.Scope.blob(container: "c", blob: "b.txt")
        let signed = sas.signed(scope: scope, userDelegationKey: key)
        let parsed = try #require(SharedAccessSignature(query: signed.queryItems))
        #expect(parsed.isUserDelegation)
        let derived = try authorizer.userDelegationKey(of: parsed, service: .blob, accountKey: self.accountKey)
        #expect(
            derived.isValidSignature(
                parsed.signature!,
                for: parsed.stringToSign(scope: scope, accountName: self.accountKey.accountName)
            )
        )

        #expect(throws: StorageServiceError.self) {
            try authorizer.userDelegationKey(of: parsed, service: .queue, accountKey: self.accountKey)
        }
        #expect(throws: StorageServiceError.self) {
            try authorizer.userDelegationKey(
                of: parsed,
                service: .blob,
                accountKey: self.accountKey,
                now: self.now.adding(seconds: 7200)
            )
        }
        #expect(throws: StorageServiceError.self) {
            try authorizer.userDelegationKey(
                of: parsed,
                service: .blob,
                accountKey: self.accountKey,
                now: self.now.adding(seconds: -600)
            )
        }
        let withoutOAuth = RequestAuthorizer(accounts: [self.accountKey])
        #expect(throws: StorageServiceError.self) {
            try withoutOAuth.userDelegationKey(of: parsed, service: .blob, accountKey: self.accountKey)
        }

        var tampered = parsed
        tampered.signedObjectID = "oid-2"
        let tamperedKey = try authorizer.userDelegationKey(of: tampered, service: .blob, accountKey: self.accountKey)
        #expect(
            !tamperedKey.isValidSignature(
                tampered.signature!,
                for: tampered.stringToSign(scope: scope, accountName: "devstoreaccount1")
            )
        )
    }

    @Test func keyTimesAreComparedAsTimesNotText() throws {
        let authorizer = RequestAuthorizer(accounts: [self.accountKey], acceptsBearerTokens: true)
        let key = authorizer.userDelegationKey(self.fields(), accountKey: self.accountKey)
        var sas = SharedAccessSignature(
            version: "2025-11-05",
            permissions: "r",
            expiry: self.now.adding(seconds: 600).iso8601(fractionDigits: 0)
        )
        sas.resource = "c"
        var signed = sas.signed(scope: .blob(container: "c", blob: nil), userDelegationKey: key)
        // A client that writes the key times with fractions still derives the same key.
        signed.signedKeyStart = StorageDate(seconds: self.now.seconds - 300).iso8601(fractionDigits: 7)
        let derived = try authorizer.userDelegationKey(of: signed, service: .blob, accountKey: self.accountKey)
        #expect(derived.value == key.value)
    }
}
