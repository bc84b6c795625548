import StorageHTTP
import Testing

@testable import StorageClient

extension CredentialTests {
    @Suite struct Chain {
        @Test func fallsThroughAnUnavailableCredential() async throws {
            try await FakeTokenServer.run { server in
                let transport = try CurlTransport()
                let chain = ChainedTokenCredential([
                    WorkloadIdentityCredential(environment: [:], httpClient: transport),
                    ManagedIdentityCredential(
                        environment: [:],
                        httpClient: transport,
                        imdsBaseURL: server.baseURL,
                        retryPolicy: fastRetries
                    ),
                ])
                let token = try await chain.token(forScope: AccessToken.storageScope)
                #expect(token.token == FakeTokenServer.tokenValue(1))
                #expect(server.requests(.imds).count == 1)
            }
        }

        @Test func fallsThroughIMDSWithNoIdentity() async throws {
            try await FakeTokenServer.run { server in
                server.script(.imds, .identityNotFound)
                let chain = ChainedTokenCredential([
                    ManagedIdentityCredential(
                        environment: [:],
                        httpClient: try CurlTransport(),
                        imdsBaseURL: server.baseURL,
                        retryPolicy: fastRetries
                    ),
                    ScriptedCredential([
                        .success(AccessToken(token: "fake-second-credential", expiresOn: currentTime() + 3600))
                    ]),
                ])
                let token = try await chain.token(forScope: AccessToken.storageScope)
                #expect(token.token == "fake-second-credential")
            }
        }

        @Test func authenticationFailureStopsTheChain() async throws {
            try await FakeTokenServer.run { server in
                server.script(.entra, .identityNotFound)
                try await withTemporaryFile(contents: "fake-assertion") { path in
                    let transport = try CurlTransport()
                    let chain = ChainedTokenCredential([
                        WorkloadIdentityCredential(
                            environment: [
                                "AZURE_TENANT_ID": "contoso.onmicrosoft.com", "AZURE_CLIENT_ID": "client",
                                "AZURE_FEDERATED_TOKEN_FILE": path, "AZURE_AUTHORITY_HOST": server.baseURL,
                            ],
                            httpClient: transport,
                            retryPolicy: fastRetries
                        ),
                        ManagedIdentityCredential(
                            environment: [:],
                            httpClient: transport,
                            imdsBaseURL: server.baseURL,
                            retryPolicy: fastRetries
                        ),
                    ])
                    let error = try #require(
                        await credentialError { try await chain.token(forScope: AccessToken.storageScope) }
                    )
                    #expect(error.isAuthenticationFailure)
                    #expect(error.credential == "WorkloadIdentityCredential")
                    #expect(server.requests(.imds).isEmpty, "managed identity is never asked")
                }
            }
        }

        @Test func everyCredentialUnavailableListsEachReason() async throws {
            let transport = try CurlTransport()
            let chain = ChainedTokenCredential([
                WorkloadIdentityCredential(environment: [:], httpClient: transport),
                ManagedIdentityCredential(
                    environment: ["IDENTITY_ENDPOINT": "http://127.0.0.1:1/x", "IMDS_ENDPOINT": "x"],
                    httpClient: transport
                ),
            ])
            let error = try #require(
                await credentialError { try await chain.token(forScope: AccessToken.storageScope) }
            )
            #expect(error.isUnavailable)
            #expect(error.description.contains("WorkloadIdentityCredential: workload identity is not configured"))
            #expect(error.description.contains("ManagedIdentityCredential: Azure Arc"))

            let empty = try #require(
                await credentialError { try await ChainedTokenCredential([]).token(forScope: AccessToken.storageScope) }
            )
            #expect(empty.isUnavailable)
        }

        @Test func defaultChainUsesWorkloadIdentityOnlyWhenConfigured() async throws {
            try await FakeTokenServer.run { server in
                let transport = try CurlTransport()
                // Managed identity alone, IMDS moved to the fake server the way AAD Pod Identity moves it.
                let managed = ChainedTokenCredential.defaultChain(
                    environment: ["AZURE_POD_IDENTITY_AUTHORITY_HOST": server.baseURL],
                    httpClient: transport
                )
                #expect(managed.credentials.count == 1)
                #expect(managed.credentials.first is ManagedIdentityCredential)
                _ = try await managed.token(forScope: AccessToken.storageScope)
                #expect(server.acceptedRequests(.imds).count == 1)

                try await withTemporaryFile(contents: "fake-assertion") { path in
                    let workload = ChainedTokenCredential.defaultChain(
                        environment: [
                            "AZURE_TENANT_ID": "contoso.onmicrosoft.com", "AZURE_CLIENT_ID": "client",
                            "AZURE_FEDERATED_TOKEN_FILE": path, "AZURE_AUTHORITY_HOST": server.baseURL,
                            "AZURE_POD_IDENTITY_AUTHORITY_HOST": server.baseURL,
                        ],
                        httpClient: transport
                    )
                    #expect(workload.credentials.count == 2)
                    #expect(workload.credentials.first is WorkloadIdentityCredential)
                    _ = try await workload.token(forScope: AccessToken.storageScope)
                    #expect(server.requests(.entra).count == 1)
                    #expect(server.acceptedRequests(.imds).count == 1)
                }
            }
        }
    }
}
