import StorageCore
import Testing

@Suite struct StorageDateTests {
    @Test func formatsRFC1123() {
        let date = StorageDate(iso8601: "2026-11-20T09:15:43Z")!
        #expect(date.rfc1123 == "Fri, 20 Nov 2026 09:15:43 GMT")
        #expect(StorageDate(rfc1123: "Fri, 20 Nov 2026 09:15:43 GMT") == date)
    }

    @Test(arguments: [
        ("2026-11-21", "2026-11-21T00:00:00.0000000Z"),
        ("2026-11-21T13:42Z", "2026-11-21T13:42:00.0000000Z"),
        ("2026-11-21T13:42:24Z", "2026-11-21T13:42:24.0000000Z"),
        ("2026-11-21T13:42:24.5Z", "2026-11-21T13:42:24.5000000Z"),
        ("2026-11-21T13:42:24.123456789Z", "2026-11-21T13:42:24.1234567Z"),
        ("2026-11-21T14:42:24+01:00", "2026-11-21T13:42:24.0000000Z"),
    ])
    func parsesISO8601Forms(input: String, expected: String) {
        #expect(StorageDate(iso8601: input)?.iso8601(fractionDigits: 7) == expected)
    }

    @Test(arguments: [
        "", "2026-13-01", "2026-11-21T25:00Z", "yesterday", "2026-11-21T13:42:24", "2026-11-21T13:42:24.Z",
    ])
    func rejectsMalformedDates(input: String) {
        #expect(StorageDate(iso8601: input) == nil)
    }

    @Test func neverExpiresDateRoundTrips() {
        let date = StorageDate(rfc1123: "Fri, 31 Dec 9999 23:59:59 GMT")
        #expect(date?.rfc1123 == "Fri, 31 Dec 9999 23:59:59 GMT")
    }
}

@Suite struct SecretRedactionTests {
    @Test func redactsSignaturesAndKeys() {
        let url = "http://127.0.0.1:10000/acct/c/b?sv=2025-11-05&sig=abc%2Bdef&sp=r"
        #expect(SecretRedaction.redactQuery(url) == "http://127.0.0.1:10000/acct/c/b?sv=2025-11-05&sig=REDACTED&sp=r")
        let text = "AccountName=a;AccountKey=c2VjcmV0;BlobEndpoint=x and Authorization: Bearer eyJabc.def"
        let redacted = SecretRedaction.redactSecrets(in: text)
        #expect(!redacted.contains("c2VjcmV0"))
        #expect(!redacted.contains("eyJabc"))
        #expect(redacted.contains("AccountName=a"))
    }

    @Test func leavesProseAfterSchemeWordsAlone() {
        let message = "Authentication scheme Bearer is not supported in this version."
        #expect(SecretRedaction.redactSecrets(in: message) == message)
        #expect(
            SecretRedaction.redactSecrets(in: "Authorization: Bearer eyJ0eXAi.x-1") == "Authorization: Bearer REDACTED"
        )
    }
}
