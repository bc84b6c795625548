import Logging
import StorageHTTP
import Synchronization
import Testing

@testable import StorageClient

extension CredentialTests {
    @Suite struct Caching {
        static let scope = AccessToken.storageScope

        static func imds(_ server: FakeTokenServer) throws -> ManagedIdentityCredential {
            ManagedIdentityCredential(
                environment: [:],
                httpClient: try CurlTransport(),
                imdsBaseURL: server.baseURL,
                retryPolicy: fastRetries
            )
        }

        @Test func cacheHitMakesNoRequest() async throws {
            try await FakeTokenServer.run { server in
                let cache = CachingTokenCredential(try Self.imds(server))
                let first = try await cache.token(forScope: Self.scope)
                let second = try await cache.token(forScope: Self.scope)
                #expect(first == second)
                #expect(server.requests(.imds).count == 1)

                // Another scope is another token.
                _ = try await cache.token(forScope: "https://management.azure.com/.default")
                #expect(server.requests(.imds).count == 2)
                #expect(server.requests(.imds).last?.query["resource"] == "https://management.azure.com")
            }
        }

        @Test func expiredTokenTriggersRefresh() async throws {
            try await FakeTokenServer.run { server in
                server.script(.appService, .expiredToken)
                let credential = ManagedIdentityCredential(
                    environment: [
                        "IDENTITY_ENDPOINT": server.appServiceEndpoint,
                        "IDENTITY_HEADER": FakeTokenServer.identityHeader,
                    ],
                    httpClient: try CurlTransport(),
                    retryPolicy: fastRetries
                )
                let cache = CachingTokenCredential(credential)
                let expired = try await cache.token(forScope: Self.scope)
                #expect(expired.expiresOn < currentTime())
                let fresh = try await cache.token(forScope: Self.scope)
                #expect(fresh.token == FakeTokenServer.tokenValue(2))
                #expect(fresh.expiresOn > currentTime() + 3000)
                _ = try await cache.token(forScope: Self.scope)
                #expect(server.requests(.appService).count == 2)
            }
        }

        @Test func concurrentCallersShareOneFetch() async throws {
            try await FakeTokenServer.run { server in
                server.script(.imds, .slow(.milliseconds(300), .token()))
                let cache = CachingTokenCredential(try Self.imds(server))
                let tokens = try await withThrowingTaskGroup(of: AccessToken.self) { group in
                    for _ in 0..<20 {
                        group.addTask { try await cache.token(forScope: Self.scope) }
                    }
                    return try await group.reduce(into: [AccessToken]()) { $0.append($1) }
                }
                #expect(tokens.count == 20)
                #expect(Set(tokens.map(\.token)) == [FakeTokenServer.tokenValue(1)])
                #expect(server.requests(.imds).count == 1)
            }
        }

        @Test func concurrentCallersShareOneFailure() async throws {
            try await FakeTokenServer.run { server in
                server.script(.imds, .slow(.milliseconds(200), .identityNotFound))
                let cache = CachingTokenCredential(try Self.imds(server))
                let failures = await withTaskGroup(of: Bool.self) { group in
                    for _ in 0..<5 {
                        group.addTask { (try? await cache.token(forScope: Self.scope)) == nil }
                    }
                    return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(failures == 5)
                #expect(server.requests(.imds).count == 1)
                // The next call tries again.
                _ = try await cache.token(forScope: Self.scope)
                #expect(server.requests(.imds).count == 2)
            }
        }

        @Test func renewsFiveMinutesBeforeExpiryInTheBackground() async throws {
            let clock = ManualClock()
            let start = clock.now()
            let credential = ScriptedCredential([
                .success(AccessToken(token: "fake-one", expiresOn: start + 3600)),
                .success(AccessToken(token: "fake-two", expiresOn: start + 7200)),
            ])
            let cache = CachingTokenCredential(credential, now: clock.now)
            #expect(try await cache.token(forScope: Self.scope).token == "fake-one")
            clock.advance(by: 3299)
            #expect(try await cache.token(forScope: Self.scope).token == "fake-one")
            #expect(credential.calls == 1)

            clock.advance(by: 1)
            #expect(try await cache.token(forScope: Self.scope).token == "fake-one", "served while renewing")
            await cache.waitForFetch(scope: Self.scope)
            #expect(try await cache.token(forScope: Self.scope).token == "fake-two")
            #expect(credential.calls == 2)
        }

        @Test func failedRenewalKeepsTheOldTokenAndRetriesLater() async throws {
            let clock = ManualClock()
            let start = clock.now()
            let failure = CredentialError.authenticationFailed("ScriptedCredential", "Entra ID is down", status: 503)
            let credential = ScriptedCredential([
                .success(AccessToken(token: "fake-one", expiresOn: start + 600)),
                .failure(failure),
                .failure(failure),
                .success(AccessToken(token: "fake-two", expiresOn: start + 4000)),
            ])
            let cache = CachingTokenCredential(
                credential,
                retryDelay: .seconds(30),
                logger: quietLogger,
                now: clock.now
            )
            _ = try await cache.token(forScope: Self.scope)

            clock.advance(by: 300)  // due: max(600 - 300, halfway 300)
            #expect(try await cache.token(forScope: Self.scope).token == "fake-one")
            await cache.waitForFetch(scope: Self.scope)
            #expect(credential.calls == 2)

            clock.advance(by: 29)  // within the retry delay: no new attempt
            #expect(try await cache.token(forScope: Self.scope).token == "fake-one")
            #expect(credential.calls == 2)

            clock.advance(by: 1)
            #expect(try await cache.token(forScope: Self.scope).token == "fake-one")
            await cache.waitForFetch(scope: Self.scope)
            #expect(credential.calls == 3)

            clock.advance(by: 30)
            _ = try await cache.token(forScope: Self.scope)
            await cache.waitForFetch(scope: Self.scope)
            #expect(try await cache.token(forScope: Self.scope).token == "fake-two")
            #expect(credential.calls == 4)
        }

        @Test func failedRenewalLogsNoSecret() async throws {
            struct LeakyError: Error, CustomStringConvertible {
                var description: String { "refused fake-secret-in-foreign-error" }
            }
            final class LeakyCredential: TokenCredential {
                let calls = Atomic(0)
                let expiresOn: Int64
                init(expiresOn: Int64) { self.expiresOn = expiresOn }
                func token(forScope scope: String) async throws -> AccessToken {
                    guard self.calls.add(1, ordering: .relaxed).oldValue == 0 else { throw LeakyError() }
                    return AccessToken(token: "fake-secret-token-logged", expiresOn: self.expiresOn)
                }
            }
            let clock = ManualClock()
            let lines = LogCapture()
            let cache = CachingTokenCredential(
                LeakyCredential(expiresOn: clock.now() + 3600),
                logger: Logger(label: "capture", factory: { _ in lines }),
                now: clock.now
            )
            _ = try await cache.token(forScope: Self.scope)
            clock.advance(by: 3400)
            _ = try await cache.token(forScope: Self.scope)
            await cache.waitForFetch(scope: Self.scope)
            let logged = lines.lines
            try #require(logged.count == 1)
            #expect(logged[0].contains("LeakyError"))
            #expect(!logged[0].contains("fake-secret"))
        }

        @Test func expiredAndFailingThrows() async throws {
            let clock = ManualClock()
            let credential = ScriptedCredential([
                .success(AccessToken(token: "fake-one", expiresOn: clock.now() + 600)),
                .failure(.authenticationFailed("ScriptedCredential", "refused", status: 400)),
                .success(AccessToken(token: "fake-two", expiresOn: clock.now() + 7200)),
            ])
            let cache = CachingTokenCredential(credential, logger: quietLogger, now: clock.now)
            _ = try await cache.token(forScope: Self.scope)
            clock.advance(by: 600)
            let error = try #require(await credentialError { try await cache.token(forScope: Self.scope) })
            #expect(error.status == 400)
            // The next caller tries again at once: there is no token to fall back on.
            #expect(try await cache.token(forScope: Self.scope).token == "fake-two")
        }

        @Test func refreshTimes() {
            let fetched: Int64 = 1_000_000
            func at(_ expiresIn: Int64, refreshOn: Int64? = nil) -> Int64 {
                CachingTokenCredential.refreshTime(
                    of: AccessToken(token: "t", expiresOn: fetched + expiresIn, refreshOn: refreshOn),
                    fetchedAt: fetched,
                    margin: 300
                ) - fetched
            }
            #expect(at(3600) == 3300)
            #expect(at(400) == 200, "a short-lived token is renewed halfway, not at once")
            #expect(at(86_400, refreshOn: fetched + 43_200) == 43_200)
            #expect(at(3600, refreshOn: fetched + 4000) == 3300)
        }
    }
}
