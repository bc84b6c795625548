import StorageHTTP
import Testing

@testable import StorageClient

extension CredentialTests {
    @Suite struct Tokens {
        @Test func printingNeverShowsTheToken() {
            let token = AccessToken(
                token: "fake-secret-token-value",
                expiresOn: 1_780_000_000,
                refreshOn: 1_779_990_000
            )
            #expect("\(token)" == "AccessToken(<redacted>, expires 2026-05-28T20:26:40Z, refresh 2026-05-28T17:40:00Z)")
            #expect(!String(reflecting: token).contains("fake-secret-token-value"))
            var dumped = ""
            dump(token, to: &dumped)
            #expect(!dumped.contains("fake-secret-token-value"))
            #expect(dumped.contains("<redacted>"))
        }

        @Test func expiryAcceptsEveryShapeIssuersUse() throws {
            func parse(_ json: String) throws -> AccessToken {
                let reply = try #require(TokenReply.decode(Array(json.utf8)))
                return try reply.accessToken(requestTime: 1_000, credential: "Test", status: 200)
            }
            #expect(try parse(#"{"access_token":"a","expires_in":3599}"#).expiresOn == 4_599)
            #expect(try parse(#"{"access_token":"a","expires_in":"3599","expires_on":"9999"}"#).expiresOn == 4_599)
            #expect(try parse(#"{"access_token":"a","expires_on":"1700000000"}"#).expiresOn == 1_700_000_000)
            #expect(try parse(#"{"access_token":"a","expires_on":1700000000}"#).expiresOn == 1_700_000_000)
            #expect(try parse(#"{"access_token":"a","expires_on":1700000000.0}"#).expiresOn == 1_700_000_000)
            // App Service api-version 2017-09-01.
            #expect(
                try parse(#"{"access_token":"a","expires_on":"11/14/2023 10:13:20 PM +00:00"}"#).expiresOn
                    == 1_700_000_000
            )
            #expect(try parse(#"{"access_token":"a","expires_in":600,"refresh_in":300}"#).refreshOn == 1_300)
            #expect(try parse(#"{"access_token":"a","expires_in":7200}"#).refreshOn == 4_600)
            #expect(try parse(#"{"access_token":"a","expires_in":7199}"#).refreshOn == nil)

            #expect(throws: CredentialError.self) { try parse(#"{"access_token":"a","expires_on":"soon"}"#) }
            #expect(throws: CredentialError.self) { try parse(#"{"access_token":"","expires_in":1}"#) }
            #expect(throws: CredentialError.self) { try parse(#"{"token":"a","expires_in":1}"#) }
            #expect(TokenReply.decode(Array("[1, 2]".utf8)) == nil)
        }

        @Test func sanitizingRemovesSecrets() {
            let text = "assertion eyJ.secret-jwt.sig failed\nBearer abc.def sig=xyz&other=1"
            let clean = CredentialError.sanitized(text, removing: ["eyJ.secret-jwt.sig"])
            #expect(clean == "assertion <redacted> failed Bearer REDACTED sig=REDACTED&other=1")
            #expect(CredentialError.sanitized(String(repeating: "x", count: 1000), limit: 10).count == 11)
        }

        @Test func noSecretInAnyErrorDescription() async throws {
            let assertion = "eyJhbGciOiJSUzI1NiJ9.assertion-never-shown.c2lnbmF0dXJl"
            try await FakeTokenServer.run { server in
                server.script(
                    .appService,
                    .badJSON,
                    .identityNotFound,
                    .status(500, body: "header \(FakeTokenServer.identityHeader)")
                )
                server.script(.imds, .badJSON, .identityNotFound)
                server.script(.entra, .errorEchoingSecrets, .badJSON, .identityNotFound)
                var errors: [CredentialError] = []
                var noRetries = fastRetries
                noRetries.maxRetries = 0
                let transport = try CurlTransport()
                let appService = ManagedIdentityCredential(
                    environment: [
                        "IDENTITY_ENDPOINT": server.appServiceEndpoint,
                        "IDENTITY_HEADER": FakeTokenServer.identityHeader,
                    ],
                    httpClient: transport,
                    retryPolicy: noRetries
                )
                let imds = ManagedIdentityCredential(
                    environment: [:],
                    httpClient: transport,
                    imdsBaseURL: server.baseURL,
                    retryPolicy: noRetries
                )
                try await withTemporaryFile(contents: assertion) { path in
                    let workload = WorkloadIdentityCredential(
                        environment: [
                            "AZURE_TENANT_ID": "contoso", "AZURE_CLIENT_ID": "client",
                            "AZURE_FEDERATED_TOKEN_FILE": path, "AZURE_AUTHORITY_HOST": server.baseURL,
                        ],
                        httpClient: transport,
                        retryPolicy: noRetries
                    )
                    for credential in [appService, appService, appService, imds, imds] as [any TokenCredential] + [
                        workload, workload, workload,
                    ] {
                        if let error = await credentialError({
                            try await credential.token(forScope: AccessToken.storageScope)
                        }) {
                            errors.append(error)
                        }
                    }
                }
                #expect(errors.count == 8)
                let secrets =
                    [assertion, "assertion-never-shown", FakeTokenServer.identityHeader, "fake-trunc"]
                    + server.issuedTokens()
                for error in errors {
                    for secret in secrets {
                        #expect(!error.description.contains(secret), "\(error) shows a secret")
                    }
                }
            }
        }
    }
}
