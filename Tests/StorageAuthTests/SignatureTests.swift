import StorageAuth
import Testing

/// Signatures computed by the official Azure SDK for Python (azure-storage-blob 12.31 and
/// azure-storage-queue 12.18) for the same inputs, with the public development key. They hold
/// without the SDK installed; `SDKCrossCheckTests` runs the SDK itself over many more cases.
@Suite struct SignatureTests {
    static let key = StorageAccountKey(
        accountName: "devstoreaccount1",
        base64Key: "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    )!

    @Test func sharedKeyMatchesThePythonSDKForAQueueRead() {
        let request = CanonicalRequest(
            method: "GET",
            encodedPath: "/devstoreaccount1/events/messages",
            query: [("numofmessages", "32"), ("visibilitytimeout", "30")],
            headers: [("x-ms-date", "Fri, 20 Nov 2026 09:15:43 GMT"), ("x-ms-version", "2026-10-06")]
        )
        #expect(
            SharedKeyAuthorization.authorization(request, key: Self.key)
                == "SharedKey devstoreaccount1:4d4f9cBcKh+3ztPvCP615uCyslCHFBSk3ABjScd5eek="
        )
    }

    @Test func sharedKeyMatchesThePythonSDKForAnUploadWithMetadata() {
        // x-ms-meta-a-b and x-ms-meta-ab sort differently under the service collation than by bytes.
        let request = CanonicalRequest(
            method: "PUT",
            encodedPath: "/devstoreaccount1/input/dir/a%20b.txt",
            query: [],
            headers: [
                ("x-ms-date", "Fri, 20 Nov 2026 09:15:43 GMT"), ("x-ms-version", "2026-10-06"),
                ("x-ms-blob-type", "BlockBlob"),
                ("Content-Length", "11"), ("Content-Type", "text/plain"), ("x-ms-meta-a-b", "1"), ("x-ms-meta-ab", "2"),
                ("x-ms-client-request-id", "abc"),
            ]
        )
        let header = SharedKeyAuthorization.authorization(request, key: Self.key)
        #expect(header == "SharedKey devstoreaccount1:XVdM33iEa1Yf5UsgamlfU/ubCMX0E7lbzMwq9doFvps=")
        let parsed = SharedKeyAuthorization.parseAuthorization(header)!
        #expect(
            SharedKeyAuthorization.isValid(request, scheme: parsed.scheme, signature: parsed.signature, key: Self.key)
        )
        let wrongKey = StorageAccountKey(accountName: "devstoreaccount1", base64Key: "AAAA")!
        #expect(
            !SharedKeyAuthorization.isValid(request, scheme: parsed.scheme, signature: parsed.signature, key: wrongKey)
        )
    }

    @Test func blobSASMatchesThePythonSDK() {
        var sas = SharedAccessSignature(version: "2026-10-06", permissions: "r", expiry: "2030-01-02T03:04:05Z")
        sas.resource = "b"
        let signed = sas.signed(scope: .blob(container: "input", blob: "dir/a b.txt"), key: Self.key)
        #expect(signed.signature == "RRZR02F6cZlg0N2UtUGH1j8ox3Zs93zCIdrLxjK9U6k=")
    }

    @Test func containerSASMatchesThePythonSDK() {
        var sas = SharedAccessSignature(version: "2026-10-06", permissions: "rwl", expiry: "2030-01-02T03:04:05Z")
        sas.resource = "c"
        let signed = sas.signed(scope: .blob(container: "input", blob: nil), key: Self.key)
        #expect(signed.signature == "EId9jBKpPNtWT7I90jsEzYdp+aY3tWmgXWVKKFxxj/Y=")
    }

    @Test func queueSASMatchesThePythonSDK() {
        let sas = SharedAccessSignature(version: "2026-10-06", permissions: "raup", expiry: "2030-01-02T03:04:05Z")
        #expect(
            sas.signed(scope: .queue("events"), key: Self.key).signature
                == "u7BJv8SfYg08hQS2iIl4mS11lunFh9+/YYQlPXenDog="
        )
    }

    @Test func accountSASMatchesThePythonSDK() {
        var sas = SharedAccessSignature(version: "2026-10-06", permissions: "rl", expiry: "2030-01-02T03:04:05Z")
        sas.services = "b"
        sas.resourceTypes = "sco"
        #expect(sas.signed(scope: .account, key: Self.key).signature == "Qu4t+FU1VjAIbkCZBybE/Wiq3SOpl7cTI2fb+arL9fs=")
    }

    static let delegationKey = UserDelegationKey(
        accountName: "devstoreaccount1",
        signedObjectID: "6a3c1c5e-7d4f-4b8e-9a0b-1c2d3e4f5a6b",
        signedTenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47",
        signedStart: "2026-11-20T09:00:00Z",
        signedExpiry: "2026-11-27T09:00:00Z",
        signedService: "b",
        signedVersion: "2026-10-06",
        value: "v5WCvlAO0LcNWmd1adGRmRbSW5qL96g9nPPoYnnSeVI="
    )!

    @Test func userDelegationSASMatchesThePythonSDK() {
        var sas = SharedAccessSignature(version: "2026-10-06", permissions: "r", expiry: "2030-01-02T03:04:05Z")
        sas.resource = "b"
        let signed = sas.signed(
            scope: .blob(container: "input", blob: "dir/a b.txt"),
            userDelegationKey: Self.delegationKey
        )
        #expect(signed.signature == "ji7kmsN6TGgumvpOQtLdIRAOzcI6DQS33/V0ru7e1cM=")
        #expect(signed.isUserDelegation)
        #expect(
            signed.queryItems.map(\.name) == [
                "se", "sp", "sv", "sr", "skoid", "sktid", "skt", "ske", "sks", "skv", "sig",
            ]
        )
    }

    @Test func queueUserDelegationSASMatchesThePythonSDK() {
        let sas = SharedAccessSignature(version: "2026-10-06", permissions: "rp", expiry: "2030-01-02T03:04:05Z")
        // The Python SDK copies the key's fields verbatim, whatever its signed service.
        let queueKey = UserDelegationKey(
            accountName: "devstoreaccount1",
            signedObjectID: Self.delegationKey.signedObjectID,
            signedTenantID: Self.delegationKey.signedTenantID,
            signedStart: Self.delegationKey.signedStart,
            signedExpiry: Self.delegationKey.signedExpiry,
            signedService: "q",
            signedVersion: "2026-10-06",
            value: Self.delegationKey.value
        )!
        #expect(
            sas.signed(scope: .queue("events"), userDelegationKey: queueKey).signature
                == "/xT7TftYEQrazgZK2BfX8urMG8vQHYXlw/1NQRUz5Fk="
        )
    }

    @Test func aUserDelegationSASReadBackFromItsQueryVerifies() throws {
        var sas = SharedAccessSignature(version: "2026-10-06", permissions: "rl", expiry: "2030-01-02T03:04:05Z")
        sas.resource = "d"
        sas.directoryDepth = 2
        sas.authorizedObjectID = "aaaaaaaa-0000-4000-8000-000000000001"
        sas.correlationID = "cccccccc-0000-4000-8000-000000000003"
        let scope = SharedAccessSignature.Scope.blob(container: "input", blob: "d1/d2")
        let signed = sas.signed(scope: scope, userDelegationKey: Self.delegationKey)
        let parsed = try #require(SharedAccessSignature(query: signed.queryItems))
        #expect(parsed == signed)
        let stringToSign = parsed.stringToSign(scope: scope, accountName: "devstoreaccount1")
        let signature = try #require(parsed.signature)
        #expect(Self.delegationKey.isValidSignature(signature, for: stringToSign))
        #expect(!Self.key.isValidSignature(signature, for: stringToSign))
    }

    @Test func aUserDelegationKeyNeedsABase64Value() {
        #expect(
            UserDelegationKey(
                accountName: "a",
                signedObjectID: "o",
                signedTenantID: "t",
                signedStart: "s",
                signedExpiry: "e",
                signedService: "b",
                signedVersion: "v",
                value: "not base64!"
            ) == nil
        )
    }

    @Test func parsesASASFromAQuery() {
        let sas = SharedAccessSignature(query: [
            ("se", "2030-01-02T03:04:05Z"), ("sp", "r"), ("sv", "2026-10-06"), ("sr", "b"), ("sig", "x"),
        ])
        #expect(sas?.permissions == "r")
        #expect(sas?.resource == "b")
        #expect(SharedAccessSignature(query: [("sp", "r")]) == nil)
    }

    @Test func keysNeverPrint() {
        #expect(!"\(Self.key)".contains("Eby8"))
        #expect(!String(reflecting: Self.key).contains("Eby8"))
        var dumped = ""
        dump(Self.delegationKey, to: &dumped)
        for text in ["\(Self.delegationKey)", String(reflecting: Self.delegationKey), dumped] {
            #expect(!text.contains("v5WCvlAO"))
            #expect(text.contains("6a3c1c5e-7d4f-4b8e-9a0b-1c2d3e4f5a6b"))
        }
    }
}
