import StorageHTTP
import Testing

@testable import StorageClient

extension CredentialTests {
    @Suite struct ManagedIdentity {
        /// App Service's environment pointing at the fake server.
        static func appServiceEnvironment(
            _ server: FakeTokenServer,
            header: String = FakeTokenServer.identityHeader
        ) -> [String: String] {
            ["IDENTITY_ENDPOINT": server.appServiceEndpoint, "IDENTITY_HEADER": header]
        }

        static func imdsCredential(
            _ server: FakeTokenServer,
            environment: [String: String] = [:],
            clientID: String? = nil,
            probe: Bool = false
        ) throws -> ManagedIdentityCredential {
            ManagedIdentityCredential(
                clientID: clientID,
                environment: environment,
                httpClient: try CurlTransport(),
                imdsBaseURL: server.baseURL + "/",
                probeIMDS: probe,
                retryPolicy: fastRetries
            )
        }

        @Test func resourceIsTheScopeWithoutDefault() {
            #expect(
                ManagedIdentityCredential.resource(forScope: AccessToken.storageScope) == "https://storage.azure.com"
            )
            #expect(
                ManagedIdentityCredential.resource(forScope: "https://storage.azure.com/")
                    == "https://storage.azure.com/"
            )
        }

        @Test func appServiceHappyPath() async throws {
            try await FakeTokenServer.run { server in
                let credential = ManagedIdentityCredential(
                    environment: Self.appServiceEnvironment(server),
                    httpClient: try CurlTransport(),
                    retryPolicy: fastRetries
                )
                let before = currentTime()
                let token = try await credential.token(forScope: AccessToken.storageScope)
                #expect(token.token == FakeTokenServer.tokenValue(1))
                #expect(token.expiresOn >= before + 3590 && token.expiresOn <= currentTime() + 3600)
                #expect(token.refreshOn == nil)

                let requests = server.requests(.appService)
                try #require(requests.count == 1)
                #expect(requests[0].accepted)
                #expect(requests[0].method == "GET")
                #expect(requests[0].headers["x-identity-header"] == FakeTokenServer.identityHeader)
                #expect(requests[0].headers["metadata"] == nil)
                #expect(requests[0].query["api-version"] == "2019-08-01")
                #expect(requests[0].query["resource"] == "https://storage.azure.com")
                #expect(requests[0].query["client_id"] == nil)
            }
        }

        @Test func appServiceWrongIdentityHeaderIsRefusedWithoutShowingIt() async throws {
            try await FakeTokenServer.run { server in
                let wrongHeader = "wrong-identity-header-0c9d8e"
                let credential = ManagedIdentityCredential(
                    environment: Self.appServiceEnvironment(server, header: wrongHeader),
                    httpClient: try CurlTransport(),
                    retryPolicy: fastRetries
                )
                let error = try #require(
                    await credentialError { try await credential.token(forScope: AccessToken.storageScope) }
                )
                #expect(error.isAuthenticationFailure)
                #expect(!error.isUnavailable)
                #expect(error.status == 401)
                #expect(error.description.contains("X-IDENTITY-HEADER is missing or wrong"))
                #expect(!error.description.contains(wrongHeader))
                #expect(server.requests(.appService).count == 1)
                #expect(!"\(credential)".contains(wrongHeader))
            }
        }

        @Test func imdsHappyPath() async throws {
            try await FakeTokenServer.run { server in
                let credential = try Self.imdsCredential(server)
                let before = currentTime()
                let token = try await credential.token(forScope: AccessToken.storageScope)
                #expect(token.token == FakeTokenServer.tokenValue(1))
                #expect(token.expiresOn >= before + 3600 && token.expiresOn <= currentTime() + 3600)

                let requests = server.requests(.imds)
                try #require(requests.count == 1)
                #expect(requests[0].accepted)
                #expect(requests[0].path == "/metadata/identity/oauth2/token")
                #expect(requests[0].headers["metadata"] == "true")
                #expect(requests[0].query["api-version"] == "2018-02-01")
                #expect(requests[0].query["resource"] == "https://storage.azure.com")
            }
        }

        @Test func imdsLongLivedTokenIsDueForRenewalHalfway() async throws {
            try await FakeTokenServer.run { server in
                server.script(.imds, .token(lifetime: 86_400))
                let credential = try Self.imdsCredential(server)
                let token = try await credential.token(forScope: AccessToken.storageScope)
                let refreshOn = try #require(token.refreshOn)
                #expect(abs((token.expiresOn - refreshOn) - 43_200) <= 1)
            }
        }

        @Test func clientIDIsPassedThrough() async throws {
            try await FakeTokenServer.run { server in
                let appService = ManagedIdentityCredential(
                    clientID: "11111111-aaaa-bbbb-cccc-000000000001",
                    environment: Self.appServiceEnvironment(server),
                    httpClient: try CurlTransport(),
                    retryPolicy: fastRetries
                )
                _ = try await appService.token(forScope: AccessToken.storageScope)
                #expect(server.requests(.appService).last?.query["client_id"] == "11111111-aaaa-bbbb-cccc-000000000001")

                // From the environment, as AZURE_CLIENT_ID.
                let imds = try Self.imdsCredential(
                    server,
                    environment: ["AZURE_CLIENT_ID": "22222222-aaaa-bbbb-cccc-000000000002"]
                )
                #expect(imds.clientID == "22222222-aaaa-bbbb-cccc-000000000002")
                _ = try await imds.token(forScope: AccessToken.storageScope)
                #expect(server.requests(.imds).last?.query["client_id"] == "22222222-aaaa-bbbb-cccc-000000000002")

                // The parameter wins over the environment.
                let both = try Self.imdsCredential(
                    server,
                    environment: ["AZURE_CLIENT_ID": "from-environment"],
                    clientID: "from-parameter"
                )
                #expect(both.clientID == "from-parameter")
            }
        }

        @Test func imdsIdentityNotFoundIsUnavailable() async throws {
            try await FakeTokenServer.run { server in
                server.script(.imds, .identityNotFound)
                let credential = try Self.imdsCredential(server, clientID: "33333333-0000-0000-0000-000000000003")
                let error = try #require(
                    await credentialError { try await credential.token(forScope: AccessToken.storageScope) }
                )
                #expect(error.isUnavailable)
                #expect(error.status == 400)
                #expect(error.description.contains("Identity not found"))
                #expect(error.description.contains("33333333-0000-0000-0000-000000000003"))
                #expect(server.requests(.imds).count == 1, "a 400 is not retried")
            }
        }

        @Test func probeFindsIMDSOnceThenAsksForTokens() async throws {
            try await FakeTokenServer.run { server in
                let credential = try Self.imdsCredential(server, probe: true)
                _ = try await credential.token(forScope: AccessToken.storageScope)
                _ = try await credential.token(forScope: AccessToken.storageScope)
                let requests = server.requests(.imds)
                try #require(requests.count == 3)
                #expect(requests[0].headers["metadata"] == nil, "the probe leaves out Metadata so IMDS issues no token")
                #expect(!requests[0].accepted)
                #expect(requests[1].accepted && requests[2].accepted)
            }
        }

        @Test func unreachableIMDSIsUnavailable() async throws {
            // Port 1 on the loopback interface: nothing listens, the connection is refused at once.
            for probe in [true, false] {
                let credential = ManagedIdentityCredential(
                    environment: [:],
                    httpClient: try CurlTransport(),
                    imdsBaseURL: "http://127.0.0.1:1",
                    probeIMDS: probe,
                    retryPolicy: fastRetries
                )
                let error = try #require(
                    await credentialError { try await credential.token(forScope: AccessToken.storageScope) }
                )
                #expect(error.isUnavailable)
                #expect(error.status == nil)
                #expect(error.description.contains("no response from the IMDS endpoint"))
            }
        }

        @Test func badJSONFromAppServiceIsAnInvalidResponse() async throws {
            try await FakeTokenServer.run { server in
                server.script(.appService, .badJSON)
                let credential = ManagedIdentityCredential(
                    environment: Self.appServiceEnvironment(server),
                    httpClient: try CurlTransport(),
                    retryPolicy: fastRetries
                )
                let error = try #require(
                    await credentialError { try await credential.token(forScope: AccessToken.storageScope) }
                )
                #expect(error.isInvalidResponse)
                #expect(error.status == 200)
                #expect(!error.description.contains("fake-trunc"))
            }
        }

        @Test func badJSONFromIMDSMeansNoIMDS() async throws {
            // azure-identity's reading: whatever answers at IMDS's address with something that is
            // not JSON is not IMDS, so the credential is unavailable and a chain moves on.
            try await FakeTokenServer.run { server in
                server.script(.imds, .badJSON)
                let credential = try Self.imdsCredential(server)
                let error = try #require(
                    await credentialError { try await credential.token(forScope: AccessToken.storageScope) }
                )
                #expect(error.isUnavailable)
            }
        }

        @Test func replyWithoutExpiryIsAnInvalidResponse() async throws {
            try await FakeTokenServer.run { server in
                server.script(
                    .appService,
                    .status(200, body: #"{"access_token":"fake-no-expiry-token","token_type":"Bearer"}"#)
                )
                let credential = ManagedIdentityCredential(
                    environment: Self.appServiceEnvironment(server),
                    httpClient: try CurlTransport(),
                    retryPolicy: fastRetries
                )
                let error = try #require(
                    await credentialError { try await credential.token(forScope: AccessToken.storageScope) }
                )
                #expect(error.isInvalidResponse)
                #expect(error.description.contains("expires_in nor expires_on"))
                #expect(!error.description.contains("fake-no-expiry-token"))
            }
        }

        @Test func serverErrorsAreRetriedThenSucceed() async throws {
            try await FakeTokenServer.run { server in
                server.script(
                    .imds,
                    .status(500, body: #"{"error":"internal","error_description":"try again"}"#),
                    .status(410)
                )
                server.script(.appService, .status(503, body: "Service Unavailable"))
                let imds = try Self.imdsCredential(server)
                let imdsToken = try await imds.token(forScope: AccessToken.storageScope)
                #expect(imdsToken.token == FakeTokenServer.tokenValue(1))
                #expect(server.acceptedRequests(.imds).count == 3)

                let appService = ManagedIdentityCredential(
                    environment: Self.appServiceEnvironment(server),
                    httpClient: try CurlTransport(),
                    retryPolicy: fastRetries
                )
                let appServiceToken = try await appService.token(forScope: AccessToken.storageScope)
                #expect(appServiceToken.token == FakeTokenServer.tokenValue(2))
                #expect(server.acceptedRequests(.appService).count == 2)
            }
        }

        @Test func persistentServerErrorIsAnAuthenticationFailure() async throws {
            try await FakeTokenServer.run { server in
                let failure = FakeTokenServer.Reply.status(
                    500,
                    body: #"{"error":"server_error","error_description":"IMDS is broken"}"#
                )
                server.script(.imds, failure, failure, failure)
                let credential = try Self.imdsCredential(server)
                let error = try #require(
                    await credentialError { try await credential.token(forScope: AccessToken.storageScope) }
                )
                #expect(error.isAuthenticationFailure)
                #expect(error.status == 500)
                #expect(error.description.contains("IMDS is broken"))
                #expect(server.requests(.imds).count == 1 + fastRetries.maxRetries)
            }
        }

        @Test func slowReplyTimesOutAndIsRetried() async throws {
            try await FakeTokenServer.run { server in
                // The first reply comes far too late, so that attempt must time out. On a loaded
                // machine a quick reply can time out as well, so the count of retries is left
                // open (there are enough of them): what matters is that a retry was made and that
                // it brought a token.
                server.script(.appService, .slow(.seconds(4), .token()))
                var retries = fastRetries
                retries.maxRetries = 5
                retries.attemptTimeout = .seconds(1)
                let credential = ManagedIdentityCredential(
                    environment: Self.appServiceEnvironment(server),
                    httpClient: try CurlTransport(),
                    retryPolicy: retries
                )
                let token = try await credential.token(forScope: AccessToken.storageScope)
                let attempts = server.requests(.appService).count
                #expect(attempts >= 2 && attempts <= 1 + retries.maxRetries)
                #expect(token.token.hasPrefix("fake-access-token-"))
            }
        }

        @Test func unsupportedEnvironmentsAreUnavailableWithoutARequest() async throws {
            let environments: [[String: String]] = [
                ["IDENTITY_ENDPOINT": "http://127.0.0.1:1/token", "IMDS_ENDPOINT": "http://127.0.0.1:1"],
                [
                    "IDENTITY_ENDPOINT": "http://127.0.0.1:1/token", "IDENTITY_HEADER": "h",
                    "IDENTITY_SERVER_THUMBPRINT": "t",
                ],
                ["IDENTITY_ENDPOINT": "http://127.0.0.1:1/token"],
                ["MSI_ENDPOINT": "http://127.0.0.1:1/token"],
            ]
            for environment in environments {
                let credential = ManagedIdentityCredential(environment: environment, httpClient: try CurlTransport())
                guard case .unsupported = credential.source else {
                    Issue.record("\(environment) should be unsupported, not \(credential.source)")
                    continue
                }
                let error = try #require(
                    await credentialError { try await credential.token(forScope: AccessToken.storageScope) }
                )
                #expect(error.isUnavailable)
            }
        }

        @Test func sourceFollowsTheEnvironment() throws {
            let transport = try CurlTransport()
            let appService = ManagedIdentityCredential(
                environment: [
                    "IDENTITY_ENDPOINT": "http://localhost:42356/msi/token", "IDENTITY_HEADER": "secret-header",
                ],
                httpClient: transport
            )
            #expect(
                appService.source
                    == .appService(endpoint: "http://localhost:42356/msi/token", identityHeader: "secret-header")
            )
            #expect(!"\(appService)".contains("secret-header"))
            #expect(!String(reflecting: appService).contains("secret-header"))
            var dumped = ""
            dump(appService, to: &dumped)
            #expect(!dumped.contains("secret-header"))

            let imds = ManagedIdentityCredential(environment: [:], httpClient: transport, probeIMDS: true)
            #expect(
                imds.source == .imds(tokenURL: "http://169.254.169.254/metadata/identity/oauth2/token", probe: true)
            )

            let podIdentity = ManagedIdentityCredential(
                environment: ["AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.5:2579/"],
                httpClient: transport,
                probeIMDS: true
            )
            #expect(
                podIdentity.source
                    == .imds(tokenURL: "http://127.0.0.5:2579/metadata/identity/oauth2/token", probe: false)
            )
        }
    }
}
