import Foundation
import StorageHTTP
import Testing

@testable import StorageClient

extension CredentialTests {
    @Suite struct WorkloadIdentity {
        static let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
        static let clientID = "44444444-aaaa-bbbb-cccc-000000000004"
        static let firstAssertion = "eyJhbGciOiJSUzI1NiJ9.first-assertion.c2lnbmF0dXJlLW9uZQ"
        static let secondAssertion = "eyJhbGciOiJSUzI1NiJ9.second-assertion.c2lnbmF0dXJlLXR3bw"

        /// AKS's environment, pointing at the fake server.
        static func environment(_ server: FakeTokenServer, tokenFile: String) -> [String: String] {
            [
                "AZURE_TENANT_ID": Self.tenant,
                "AZURE_CLIENT_ID": Self.clientID,
                "AZURE_FEDERATED_TOKEN_FILE": tokenFile,
                "AZURE_AUTHORITY_HOST": server.baseURL + "/",
            ]
        }

        @Test func happyPathRereadsTheAssertionOnRefresh() async throws {
            try await FakeTokenServer.run { server in
                try await withTemporaryFile(contents: Self.firstAssertion + "\n") { path in
                    let clock = ManualClock(currentTime())
                    let credential = WorkloadIdentityCredential(
                        environment: Self.environment(server, tokenFile: path),
                        httpClient: try CurlTransport(),
                        retryPolicy: fastRetries,
                        now: clock.now
                    )
                    #expect(credential.isConfigured)
                    let cache = CachingTokenCredential(credential, now: clock.now)

                    let first = try await cache.token(forScope: AccessToken.storageScope)
                    #expect(first.token == FakeTokenServer.tokenValue(1))
                    #expect(first.expiresOn == clock.now() + 3600)

                    // The kubelet rotates the projected token; the next renewal must send the new one.
                    try Self.secondAssertion.write(toFile: path, atomically: true, encoding: .utf8)
                    clock.advance(by: 3600 - 299)
                    let during = try await cache.token(forScope: AccessToken.storageScope)
                    #expect(during.token == first.token, "the still-valid token is served while renewal runs")
                    await cache.waitForFetch(scope: AccessToken.storageScope)
                    let renewed = try await cache.token(forScope: AccessToken.storageScope)
                    #expect(renewed.token == FakeTokenServer.tokenValue(2))

                    let requests = server.requests(.entra)
                    try #require(requests.count == 2)
                    #expect(requests.allSatisfy { $0.accepted })
                    #expect(requests[0].method == "POST")
                    #expect(requests[0].path == "/\(Self.tenant)/oauth2/v2.0/token")
                    #expect(requests[0].headers["content-type"] == "application/x-www-form-urlencoded")
                    #expect(requests[0].form["grant_type"] == "client_credentials")
                    #expect(requests[0].form["client_id"] == Self.clientID)
                    #expect(
                        requests[0].form["client_assertion_type"]
                            == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                    )
                    #expect(requests[0].form["scope"] == "https://storage.azure.com/.default")
                    #expect(requests[0].form["client_assertion"] == Self.firstAssertion)
                    #expect(requests[1].form["client_assertion"] == Self.secondAssertion)
                }
            }
        }

        @Test func entraErrorBecomesAClearErrorWithoutTheAssertion() async throws {
            try await FakeTokenServer.run { server in
                server.script(.entra, .identityNotFound, .errorEchoingSecrets)
                try await withTemporaryFile(contents: Self.firstAssertion) { path in
                    let credential = WorkloadIdentityCredential(
                        environment: Self.environment(server, tokenFile: path),
                        httpClient: try CurlTransport(),
                        retryPolicy: fastRetries
                    )
                    let notFound = try #require(
                        await credentialError { try await credential.token(forScope: AccessToken.storageScope) }
                    )
                    #expect(notFound.isAuthenticationFailure)
                    #expect(notFound.status == 400)
                    #expect(notFound.description.contains("unauthorized_client"))
                    #expect(notFound.description.contains("AADSTS700016"))

                    let echoed = try #require(
                        await credentialError { try await credential.token(forScope: AccessToken.storageScope) }
                    )
                    #expect(echoed.isAuthenticationFailure)
                    #expect(echoed.status == 401)
                    #expect(echoed.description.contains("AADSTS700024"))
                    #expect(!echoed.description.contains(Self.firstAssertion))
                    #expect(!echoed.description.contains("first-assertion"))
                    #expect(server.requests(.entra).count == 2, "OAuth errors are not retried")
                }
            }
        }

        @Test func badJSONIsAnInvalidResponse() async throws {
            try await FakeTokenServer.run { server in
                server.script(.entra, .badJSON)
                try await withTemporaryFile(contents: Self.firstAssertion) { path in
                    let credential = WorkloadIdentityCredential(
                        environment: Self.environment(server, tokenFile: path),
                        httpClient: try CurlTransport(),
                        retryPolicy: fastRetries
                    )
                    let error = try #require(
                        await credentialError { try await credential.token(forScope: AccessToken.storageScope) }
                    )
                    #expect(error.isInvalidResponse)
                    #expect(error.status == 200)
                }
            }
        }

        @Test func serverErrorIsRetriedThenSucceeds() async throws {
            try await FakeTokenServer.run { server in
                server.script(
                    .entra,
                    .status(500, body: "<html>upstream error</html>"),
                    .status(429, body: #"{"error":"throttled"}"#)
                )
                try await withTemporaryFile(contents: Self.firstAssertion) { path in
                    let credential = WorkloadIdentityCredential(
                        environment: Self.environment(server, tokenFile: path),
                        httpClient: try CurlTransport(),
                        retryPolicy: fastRetries
                    )
                    let token = try await credential.token(forScope: AccessToken.storageScope)
                    #expect(token.token == FakeTokenServer.tokenValue(1))
                    #expect(server.requests(.entra).count == 3)
                }
            }
        }

        @Test func missingConfigurationIsUnavailable() async throws {
            let credential = WorkloadIdentityCredential(
                environment: ["AZURE_CLIENT_ID": Self.clientID],
                httpClient: try CurlTransport()
            )
            #expect(!credential.isConfigured)
            let error = try #require(
                await credentialError { try await credential.token(forScope: AccessToken.storageScope) }
            )
            #expect(error.isUnavailable)
            #expect(error.description.contains("AZURE_TENANT_ID"))
            #expect(error.description.contains("AZURE_FEDERATED_TOKEN_FILE"))
            #expect(!error.description.contains("AZURE_CLIENT_ID"))
        }

        @Test func invalidConfigurationIsUnavailable() throws {
            let transport = try CurlTransport()
            let base = [
                "AZURE_TENANT_ID": Self.tenant, "AZURE_CLIENT_ID": Self.clientID,
                "AZURE_FEDERATED_TOKEN_FILE": "/tmp/none",
            ]
            let badTenant = WorkloadIdentityCredential(
                tenantID: "../evil/path",
                environment: base,
                httpClient: transport
            )
            #expect(!badTenant.isConfigured)
            let plainHTTP = WorkloadIdentityCredential(
                authorityHost: "http://login.example.com/",
                environment: base,
                httpClient: transport
            )
            #expect(!plainHTTP.isConfigured)

            let defaults = WorkloadIdentityCredential(environment: base, httpClient: transport)
            #expect(
                try defaults.configuration.get().tokenURL
                    == "https://login.microsoftonline.com/\(Self.tenant)/oauth2/v2.0/token"
            )
            let sovereign = WorkloadIdentityCredential(
                authorityHost: "login.chinacloudapi.cn",
                environment: base,
                httpClient: transport
            )
            #expect(
                try sovereign.configuration.get().tokenURL
                    == "https://login.chinacloudapi.cn/\(Self.tenant)/oauth2/v2.0/token"
            )
        }

        @Test func unreadableTokenFileIsAnAuthenticationFailure() async throws {
            let credential = WorkloadIdentityCredential(
                environment: [
                    "AZURE_TENANT_ID": Self.tenant, "AZURE_CLIENT_ID": Self.clientID,
                    "AZURE_FEDERATED_TOKEN_FILE": "/nonexistent/credential-tests/token",
                    "AZURE_AUTHORITY_HOST": "http://127.0.0.1:1/",
                ],
                httpClient: try CurlTransport()
            )
            let error = try #require(
                await credentialError { try await credential.token(forScope: AccessToken.storageScope) }
            )
            #expect(error.isAuthenticationFailure)
            #expect(error.description.contains("/nonexistent/credential-tests/token"))

            try await withTemporaryFile(contents: "\n") { path in
                let empty = WorkloadIdentityCredential(
                    tokenFilePath: path,
                    environment: ["AZURE_TENANT_ID": Self.tenant, "AZURE_CLIENT_ID": Self.clientID],
                    httpClient: try CurlTransport()
                )
                let error = try #require(
                    await credentialError { try await empty.token(forScope: AccessToken.storageScope) }
                )
                #expect(error.description.contains("is empty"))
            }
        }
    }
}
