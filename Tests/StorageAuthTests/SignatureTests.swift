import StorageAuth
import Testing

/// Signatures computed by the official Azure SDK for Python (azure-storage-blob 12.31 and
/// azure-storage-queue 12.18) for the same inputs, with the public development key.
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
                ("x-ms-date", "Fri, 20 Nov 2026 09:15:43 GMT"), ("x-ms-version", "2026-10-06"), ("x-ms-blob-type", "BlockBlob"),
                ("Content-Length", "11"), ("Content-Type", "text/plain"), ("x-ms-meta-a-b", "1"), ("x-ms-meta-ab", "2"),
                ("x-ms-client-request-id", "abc"),
            ]
        )
        let header = SharedKeyAuthorization.authorization(request, key: Self.key)
        #expect(header == "SharedKey devstoreaccount1:XVdM33iEa1Yf5UsgamlfU/ubCMX0E7lbzMwq9doFvps=")
        let parsed = SharedKeyAuthorization.parseAuthorization(header)!
        #expect(SharedKeyAuthorization.isValid(request, scheme: parsed.scheme, signature: parsed.signature, key: Self.key))
        let wrongKey = StorageAccountKey(accountName: "devstoreaccount1", base64Key: "AAAA")!
        #expect(!SharedKeyAuthorization.isValid(request, scheme: parsed.scheme, signature: parsed.signature, key: wrongKey))
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
        #expect(sas.signed(scope: .queue("events"), key: Self.key).signature == "u7BJv8SfYg08hQS2iIl4mS11lunFh9+/YYQlPXenDog=")
    }

    @Test func accountSASMatchesThePythonSDK() {
        var sas = SharedAccessSignature(version: "2026-10-06", permissions: "rl", expiry: "2030-01-02T03:04:05Z")
        sas.services = "b"
        sas.resourceTypes = "sco"
        #expect(sas.signed(scope: .account, key: Self.key).signature == "Qu4t+FU1VjAIbkCZBybE/Wiq3SOpl7cTI2fb+arL9fs=")
    }

    @Test func parsesASASFromAQuery() {
        let sas = SharedAccessSignature(query: [("se", "2030-01-02T03:04:05Z"), ("sp", "r"), ("sv", "2026-10-06"), ("sr", "b"), ("sig", "x")])
        #expect(sas?.permissions == "r")
        #expect(sas?.resource == "b")
        #expect(SharedAccessSignature(query: [("sp", "r")]) == nil)
    }

    @Test func keysNeverPrint() {
        #expect(!"\(Self.key)".contains("Eby8"))
        #expect(!String(reflecting: Self.key).contains("Eby8"))
    }
}
