import DevStorage
import DevStorageTesting
import Foundation
import StorageAuth
import StorageClient
import StorageCore
import StorageHTTP
import Testing

/// blobflow's client against the development server in OAuth mode: bearer tokens (as with managed
/// or workload identity on Azure), user delegation keys and user delegation SAS, end to end.
@Suite("Bearer tokens and user delegation SAS end to end", .timeLimit(.minutes(2)))
struct TokenAuthTests {
    /// The development account reached with `credential`.
    static func pipeline(_ endpoints: DevStorageEndpoints, credential: any TokenCredential) throws -> StoragePipeline {
        let account = StorageAccount(
            name: DevStorageConfiguration.developmentAccountName,
            blobEndpoint: endpoints.blobEndpoint(),
            queueEndpoint: endpoints.queueEndpoint(),
            credential: .token(credential)
        )
        return StoragePipeline(account: account, http: try CurlTransport(), retry: .none)
    }

    static func oauth(_ configuration: inout DevStorageConfiguration) {
        configuration.acceptBearerTokens = true
    }

    /// The StorageError `body` throws.
    static func storageError(_ body: () async throws -> Void) async -> StorageError? {
        do {
            try await body()
            return nil
        } catch let error as StorageError {
            return error
        } catch {
            Issue.record("expected a StorageError, got \(type(of: error))")
            return nil
        }
    }

    /// Queue send/receive/delete and blob upload/download through `pipeline`.
    static func roundTrip(_ pipeline: StoragePipeline) async throws {
        let queue = pipeline.queue("tokens")
        #expect(try await queue.createIfNotExists())
        _ = try await queue.sendMessage("sent with a bearer token")
        let received = try await queue.receiveMessages(maxMessages: 32, visibilityTimeout: 30)
        #expect(received.map(\.text) == ["sent with a bearer token"])
        try await queue.deleteMessage(id: received[0].messageID, popReceipt: received[0].popReceipt)
        #expect(try await queue.properties().approximateMessageCount == 0)

        let container = pipeline.container("tokens")
        #expect(try await container.createIfNotExists())
        let bytes = Array("uploaded with a bearer token".utf8)
        _ = try await container.blob("dir/file.txt").upload(bytes, contentType: "text/plain")
        #expect(try await container.blob("dir/file.txt").downloadBytes() == bytes)
    }

    @Test("queue and blob operations succeed with a bearer token")
    func bearerTokenRoundTrip() async throws {
        try await withDevStorage(configure: Self.oauth) { endpoints in
            try await Self.roundTrip(try Self.pipeline(endpoints, credential: FixedTokenCredential()))
        }
    }

    @Test("an account-specific audience works for its own service")
    func accountAudience() async throws {
        try await withDevStorage(configure: Self.oauth) { endpoints in
            let account = DevStorageConfiguration.developmentAccountName
            let blobOnly = try Self.pipeline(
                endpoints,
                credential: FixedTokenCredential(audience: "https://\(account).blob.core.windows.net")
            )
            #expect(try await blobOnly.container("aud").createIfNotExists())
            let error = try #require(
                await Self.storageError { _ = try await blobOnly.queue("aud").createIfNotExists() }
            )
            #expect(error.status == 401)
            #expect(error.errorCode == "InvalidAuthenticationInfo")
            #expect(error.message.contains("Audience"))
        }
    }

    @Test("an expired token gets 401 InvalidAuthenticationInfo, never quoting the token")
    func expiredToken() async throws {
        try await withDevStorage(configure: Self.oauth) { endpoints in
            let credential = FixedTokenCredential(lifetime: -3600)
            let pipeline = try Self.pipeline(endpoints, credential: credential)
            let error = try #require(
                await Self.storageError { _ = try await pipeline.queue("expired").createIfNotExists() }
            )
            #expect(error.status == 401)
            #expect(error.errorCode == "InvalidAuthenticationInfo")
            #expect(error.message.contains("expired"))
            #expect(!error.description.contains(credential.token))
            let blobError = try #require(
                await Self.storageError { _ = try await pipeline.container("expired").createIfNotExists() }
            )
            #expect(blobError.status == 401)
        }
    }

    @Test("the 401 carries Azure's WWW-Authenticate challenge")
    func challengeHeader() async throws {
        try await withDevStorage(configure: Self.oauth) { endpoints in
            let http = try CurlTransport()
            let request = HTTPRequest(
                method: "GET",
                url: endpoints.blobEndpoint() + "/?comp=list",
                headers: [
                    ("Authorization", "Bearer " + TestTokens.make(lifetime: -3600)),
                    ("x-ms-version", StoragePipeline.apiVersion),
                ]
            )
            let response = try await http.execute(request)
            #expect(response.status == 401)
            #expect(response.header("x-ms-error-code") == "InvalidAuthenticationInfo")
            #expect(
                response.header("www-authenticate")
                    == "Bearer authorization_uri=https://login.microsoftonline.com/\(TestTokens.tenantID)/oauth2/authorize resource_id=https://storage.azure.com"
            )
            let body = String(decoding: response.body, as: UTF8.self)
            #expect(
                body.contains(
                    "<AuthenticationErrorDetail>Lifetime validation failed. The token is expired.</AuthenticationErrorDetail>"
                )
            )

            let garbage = HTTPRequest(
                method: "GET",
                url: endpoints.blobEndpoint() + "/?comp=list",
                headers: [("Authorization", "Bearer not-a-jwt"), ("x-ms-version", StoragePipeline.apiVersion)]
            )
            let garbageResponse = try await http.execute(garbage)
            #expect(garbageResponse.status == 401)
            #expect(
                garbageResponse.header("www-authenticate")?.contains(
                    "login.microsoftonline.com/common/oauth2/authorize"
                ) == true
            )
        }
    }

    @Test("a bearer token with an x-ms-version before 2017-11-09 is refused as Azure refuses it")
    func oldVersion() async throws {
        try await withDevStorage(configure: Self.oauth) { endpoints in
            let request = HTTPRequest(
                method: "GET",
                url: endpoints.queueEndpoint() + "/?comp=list",
                headers: [("Authorization", "Bearer " + TestTokens.make()), ("x-ms-version", "2017-07-29")]
            )
            let response = try await CurlTransport().execute(request)
            #expect(response.status == 403)
            #expect(response.header("x-ms-error-code") == "AuthenticationFailed")
            #expect(
                String(decoding: response.body, as: UTF8.self).contains(
                    "Authentication scheme Bearer is not supported in this version."
                )
            )
        }
    }

    @Test("without OAuth mode a bearer token is refused with 403")
    func oauthModeOff() async throws {
        try await withDevStorage { endpoints in
            let pipeline = try Self.pipeline(endpoints, credential: FixedTokenCredential())
            let error = try #require(
                await Self.storageError { _ = try await pipeline.queue("off").createIfNotExists() }
            )
            #expect(error.status == 403)
            #expect(error.errorCode == "AuthenticationFailed")
            #expect(error.message.contains("--oauth"))
        }
    }

    @Test("a user delegation SAS reads the blob anonymously, and only reads it")
    func userDelegationSAS() async throws {
        try await withDevStorage(configure: Self.oauth) { endpoints in
            let pipeline = try Self.pipeline(endpoints, credential: FixedTokenCredential())
            try await Self.checkUserDelegationSAS(
                pipeline,
                objectID: TestTokens.objectID,
                tenantID: TestTokens.tenantID
            )
        }
    }

    /// Gets a key, signs a read-only SAS for a fresh blob with it, and checks what the SAS allows.
    static func checkUserDelegationSAS(_ pipeline: StoragePipeline, objectID: String, tenantID: String) async throws {
        let container = pipeline.container("shared")
        _ = try await container.createIfNotExists()
        let blob = container.blob("report.csv")
        let bytes = Array("a,b\n1,2\n".utf8)
        _ = try await blob.upload(bytes, contentType: "text/csv")

        let now = StorageDate.now()
        let key = try await pipeline.userDelegationKey(
            start: now.adding(seconds: -300),
            expiry: now.adding(seconds: 3600)
        )
        #expect(key.signedObjectID == objectID)
        #expect(key.signedTenantID == tenantID)
        #expect(key.signedService == "b")
        #expect(key.signedVersion == StoragePipeline.apiVersion)
        #expect(key.signedExpiry == now.adding(seconds: 3600).iso8601(fractionDigits: 0))
        let again = try await pipeline.userDelegationKey(
            start: now.adding(seconds: -300),
            expiry: now.adding(seconds: 3600)
        )
        #expect(again.value == key.value, "keys are derived, so the same request gets the same key")

        let url = try blob.sasURL(SASRequest(permissions: "r", userDelegationKey: key))
        #expect(url.contains("skoid=\(objectID)"))
        let http = try CurlTransport()
        let download = try await http.execute(HTTPRequest(method: "GET", url: url))
        #expect(download.status == 200)
        #expect(download.body == bytes)

        var write = HTTPRequest(
            method: "PUT",
            url: url,
            headers: [("x-ms-blob-type", "BlockBlob")],
            body: .bytes(Array("changed".utf8))
        )
        write.setHeader("x-ms-version", StoragePipeline.apiVersion)
        let refused = try await http.execute(write)
        #expect(refused.status == 403)
        #expect(refused.header("x-ms-error-code") == "AuthorizationPermissionMismatch")
        #expect(try await blob.downloadBytes() == bytes)

        // Another principal's key fields do not match the signature.
        let forged = url.replacingOccurrences(
            of: "skoid=\(objectID)",
            with: "skoid=00000000-0000-0000-0000-000000000000"
        )
        let forgedResponse = try await http.execute(HTTPRequest(method: "GET", url: forged))
        #expect(forgedResponse.status == 403)
        #expect(forgedResponse.header("x-ms-error-code") == "AuthenticationFailed")

        // The SAS reaches only its own blob.
        _ = try await container.blob("other.csv").upload(bytes)
        let otherURL = url.replacingOccurrences(of: "/report.csv?", with: "/other.csv?")
        let otherResponse = try await http.execute(HTTPRequest(method: "GET", url: otherURL))
        #expect(otherResponse.status == 403)
    }

    @Test("a user delegation key needs a bearer token and at most seven days")
    func userDelegationKeyRules() async throws {
        try await withDevStorage(configure: Self.oauth) { endpoints in
            let now = StorageDate.now()
            let sharedKey = StoragePipeline(
                account: try StorageAccount(connectionString: endpoints.connectionString()),
                http: try CurlTransport(),
                retry: .none
            )
            let refused = try #require(
                await Self.storageError {
                    _ = try await sharedKey.userDelegationKey(start: now, expiry: now.adding(seconds: 3600))
                }
            )
            #expect(refused.status == 403)
            #expect(refused.errorCode == "AuthenticationFailed")
            #expect(refused.message.contains("Only authentication scheme Bearer"))

            let pipeline = try Self.pipeline(endpoints, credential: FixedTokenCredential())
            let tooLong = try #require(
                await Self.storageError {
                    _ = try await pipeline.userDelegationKey(
                        start: now,
                        expiry: now.adding(seconds: 7 * 24 * 3600 + 120)
                    )
                }
            )
            #expect(tooLong.status == 400)
            #expect(tooLong.errorCode == "InvalidXmlNodeValue")
            _ = try await pipeline.userDelegationKey(start: now, expiry: now.adding(seconds: 7 * 24 * 3600 - 60))

            let expiredKey = try #require(
                await Self.storageError {
                    _ = try await pipeline.userDelegationKey(
                        start: now.adding(seconds: -7200),
                        expiry: now.adding(seconds: -3600)
                    )
                }
            )
            #expect(expiredKey.errorCode == "InvalidXmlNodeValue")
        }
    }

    @Test("a user delegation SAS is refused once its key has expired")
    func expiredDelegationKey() async throws {
        try await withDevStorage(configure: Self.oauth) { endpoints in
            let pipeline = try Self.pipeline(endpoints, credential: FixedTokenCredential())
            let container = pipeline.container("short")
            _ = try await container.createIfNotExists()
            _ = try await container.blob("b").upload(Array("x".utf8))
            let now = StorageDate.now()
            // Expiry well ahead, so the first read is in time even on a loaded machine.
            let key = try await pipeline.userDelegationKey(
                start: now.adding(seconds: -60),
                expiry: now.adding(seconds: 5)
            )
            let url = try container.blob("b").sasURL(SASRequest(permissions: "r", userDelegationKey: key))
            let http = try CurlTransport()
            #expect(try await http.execute(HTTPRequest(method: "GET", url: url)).status == 200)
            try await Task.sleep(for: .seconds(6))
            let late = try await http.execute(HTTPRequest(method: "GET", url: url))
            #expect(late.status == 403)
            #expect(String(decoding: late.body, as: UTF8.self).contains("user delegation key expired"))
        }
    }

    @Test("managed identity end to end: the real ManagedIdentityCredential against a fake App Service token endpoint")
    func managedIdentityEndToEnd() async throws {
        try await FakeTokenServer.run { tokenServer in
            tokenServer.script(.appService, .entraToken(), .entraToken())
            let credential = ManagedIdentityCredential(
                environment: [
                    "IDENTITY_ENDPOINT": tokenServer.appServiceEndpoint,
                    "IDENTITY_HEADER": FakeTokenServer.identityHeader,
                ],
                httpClient: try CurlTransport(),
                retryPolicy: fastRetries
            )
            try await withDevStorage(configure: Self.oauth) { endpoints in
                let pipeline = try Self.pipeline(endpoints, credential: credential)
                try await Self.roundTrip(pipeline)
                try await Self.checkUserDelegationSAS(
                    pipeline,
                    objectID: FakeTokenServer.principalObjectID,
                    tenantID: FakeTokenServer.tenantID
                )
            }
            // One token, fetched once and reused by the pipeline's cache.
            let requests = tokenServer.acceptedRequests(.appService)
            #expect(requests.count == 1)
            #expect(requests.first?.query["resource"] == "https://storage.azure.com")
        }
    }
}
