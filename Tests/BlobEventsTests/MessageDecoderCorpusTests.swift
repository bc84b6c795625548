import BlobEvents
import Foundation
import Testing

/// Every file of `Tests/Fixtures/events`, decoded with the configuration its README assumes.
@Suite struct MessageDecoderCorpusTests {
    /// The expected outcome of each corpus file; the README gives the reasons.
    static let expected: [String: String] = [
        "eventgrid-putblob.json": "work",
        "eventgrid-putblocklist-array.json": "work",
        "eventgrid-copyblob.json": "work",
        "cloudevents-putblob.json": "work",
        "adls-createfile.json": "skip:incomplete-api",
        "adls-flushwithclose.json": "work",
        "sftp-create.json": "skip:incomplete-api",
        "sftp-commit.json": "work",
        "blobdeleted.json": "skip:not-blob-created",
        "other-container.json": "skip:other-container",
        "output-container.json": "skip:output-location",
        "queue-text-base64.txt": "work",
        "queue-text-plain.txt": "work",
        "bad-not-base64-nor-json.txt": "poison:not-json",
        "bad-truncated.json": "poison:truncated",
        "bad-base64-of-garbage.txt": "poison:bad-base64",
        "bad-missing-data.json": "poison:missing-field",
        // A numeric string is tolerated (some relays re-serialise numbers); a non-numeric one is poison.
        "bad-contentlength-string.json": "work",
        "bad-url-mismatch.json": "poison:url-mismatch",
        "bad-traversal-name.json": "poison:unsafe-name",
        "bad-empty-array.json": "poison:empty-array",
        "bad-two-events-array.json": "poison:multiple-events",
    ]

    @Test func everyCorpusFileIsListedInTheReadmeAndHere() throws {
        let files = try EventFixtures.fileNames()
        #expect(files == (try EventFixtures.readmeFileNames()))
        #expect(files == Self.expected.keys.sorted())
    }

    @Test(arguments: MessageDecoderCorpusTests.expected.keys.sorted())
    func corpusFileHasItsExpectedOutcome(file: String) throws {
        let decoded = MessageDecoder.decode(try EventFixtures.text(file), filter: EventFixtures.filter)
        #expect(decoded.outcome == Self.expected[file], "\(file): \(MessageDecoder.describe(decoded))")
        if let poison = decoded.poison {
            #expect(!poison.message.isEmpty)
            #expect(!poison.message.contains("\n"))
        }
    }

    /// Event Grid's current encoding: each JSON file, base64-encoded (in one line, wrapped at 76
    /// columns, and without padding), decodes exactly as the plain text does.
    @Test(arguments: MessageDecoderCorpusTests.expected.keys.sorted().filter { $0.hasSuffix(".json") })
    func base64OfEveryJSONFileDecodesLikeThePlainText(file: String) throws {
        let text = try EventFixtures.text(file)
        let plain = MessageDecoder.decode(text, filter: EventFixtures.filter)
        let encoded = EventFixtures.base64(text)
        let wrapped = Data(text.utf8).base64EncodedString(options: [
            .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
        ])
        let unpadded = String(encoded.prefix { $0 != "=" })
        for variant in [encoded, wrapped, unpadded, "\n  " + encoded + "  \n"] {
            let decoded = MessageDecoder.decode(variant, filter: EventFixtures.filter)
            #expect(decoded.outcome == plain.outcome, "\(file)")
            #expect(decoded.workItem == plain.workItem)
        }
    }

    @Test func putBlobBecomesAWorkItem() throws {
        let item = try #require(
            MessageDecoder.decode(try EventFixtures.text("eventgrid-putblob.json"), filter: EventFixtures.filter)
                .workItem
        )
        #expect(item.eventID == "4a7f3c2e-201e-0062-51b0-1a2b3c000001")
        #expect(item.eventTime == "2026-11-20T09:15:42.1234567Z")
        #expect(item.schema == .eventGrid)
        #expect(item.api == "PutBlob")
        #expect(item.accountName == "contosodata")
        #expect(item.container == "input")
        #expect(item.blobName == "scans/2026/tile-001.tif")
        #expect(item.eTag == "\"0x8DCB21A4F7E1C2B\"")
        #expect(item.contentLength == 2048)
        #expect(item.contentType == "image/tiff")
        #expect(item.blobType == "BlockBlob")
        #expect(item.sequencer == "000000000000000000000000000174A9000000000009c2f1")
        #expect(item.blobURL == "https://contosodata.blob.core.windows.net/input/scans/2026/tile-001.tif")
        #expect(item.versionKey == "contosodata/input/scans/2026/tile-001.tif@0x8DCB21A4F7E1C2B")
    }

    @Test func bothQueueEncodingsOfOneEventGiveTheSameWorkItem() throws {
        let plain = MessageDecoder.decode(try EventFixtures.text("queue-text-plain.txt"), filter: EventFixtures.filter)
        let base64 = MessageDecoder.decode(
            try EventFixtures.text("queue-text-base64.txt"),
            filter: EventFixtures.filter
        )
        let reference = MessageDecoder.decode(
            try EventFixtures.text("eventgrid-putblob.json"),
            filter: EventFixtures.filter
        )
        #expect(plain.workItem != nil)
        #expect(plain == base64)
        #expect(plain == reference)
    }

    @Test func oneElementArrayIsTheEvent() throws {
        let item = try #require(
            MessageDecoder.decode(
                try EventFixtures.text("eventgrid-putblocklist-array.json"),
                filter: EventFixtures.filter
            ).workItem
        )
        #expect(item.api == "PutBlockList")
        #expect(item.blobName == "scans/2026/large.tif")
        #expect(item.contentLength == 734_003_200)
    }

    @Test func copyBlobETagWithoutQuotesIsQuoted() throws {
        let item = try #require(
            MessageDecoder.decode(try EventFixtures.text("eventgrid-copyblob.json"), filter: EventFixtures.filter)
                .workItem
        )
        #expect(item.eTag == "\"0x8DCB21A4F7E1D00\"")
        #expect(item.versionKey == "contosodata/input/copied/report.pdf@0x8DCB21A4F7E1D00")
    }

    @Test func cloudEventBecomesAWorkItem() throws {
        let item = try #require(
            MessageDecoder.decode(try EventFixtures.text("cloudevents-putblob.json"), filter: EventFixtures.filter)
                .workItem
        )
        #expect(item.schema == .cloudEvents)
        #expect(item.eventID == "4a7f3c2e-201e-0062-51b0-1a2b3c000002")
        #expect(item.eventTime == "2026-11-20T09:15:42.1234567Z")
        #expect(item.blobName == "scans/2026/tile-002.tif")
    }

    /// ADLS Gen2 raises CreateFile then FlushWithClose for one upload: exactly one is work, and
    /// its URL on the account's `dfs` endpoint is the configured account.
    @Test func adlsUploadIsWorkOnce() throws {
        let create = MessageDecoder.decode(try EventFixtures.text("adls-createfile.json"), filter: EventFixtures.filter)
        guard case .skip(let reason, let eventID, let blob) = create else {
            Issue.record("CreateFile: \(MessageDecoder.describe(create))")
            return
        }
        #expect(reason.message.contains("FlushWithClose"))
        #expect(eventID == "4a7f3c2e-201e-0062-51b0-1a2b3c000001")
        #expect(blob == "input/lake/part-0001.parquet")
        let flush = try #require(
            MessageDecoder.decode(try EventFixtures.text("adls-flushwithclose.json"), filter: EventFixtures.filter)
                .workItem
        )
        #expect(flush.api == "FlushWithClose")
        #expect(flush.contentLength == 1_048_576)
    }

    @Test func sftpUploadIsWorkOnce() throws {
        let create = MessageDecoder.decode(try EventFixtures.text("sftp-create.json"), filter: EventFixtures.filter)
        #expect(create.skipCode == "incomplete-api")
        let commit = try #require(
            MessageDecoder.decode(try EventFixtures.text("sftp-commit.json"), filter: EventFixtures.filter).workItem
        )
        #expect(commit.api == "SftpCommit")
        #expect(commit.blobName == "sftp/drop/a.csv")
    }

    @Test func numericStringContentLengthIsTolerated() throws {
        let item = try #require(
            MessageDecoder.decode(try EventFixtures.text("bad-contentlength-string.json"), filter: EventFixtures.filter)
                .workItem
        )
        #expect(item.contentLength == 2048)
    }

    @Test func twoEventsArePoisonNamingBoth() throws {
        let poison = try #require(
            MessageDecoder.decode(try EventFixtures.text("bad-two-events-array.json"), filter: EventFixtures.filter)
                .poison
        )
        #expect(poison.message.contains("2 events"))
        #expect(poison.message.contains("4a7f3c2e-201e-0062-51b0-1a2b3c000001"))
    }

    @Test func urlMismatchIsOnlyCheckedWhenAnEndpointIsConfigured() throws {
        var filter = EventFixtures.filter
        filter.blobEndpointHost = nil
        #expect(
            MessageDecoder.decode(try EventFixtures.text("bad-url-mismatch.json"), filter: filter).workItem?.blobName
                == "a.txt"
        )
        let poison = try #require(
            MessageDecoder.decode(try EventFixtures.text("bad-url-mismatch.json"), filter: EventFixtures.filter).poison
        )
        #expect(poison.message.contains("evil.example.net"))
    }

    /// The poison messages say what was wrong, in words an operator can act on.
    @Test(arguments: [
        ("bad-not-base64-nor-json.txt", "neither JSON"),
        ("bad-base64-of-garbage.txt", "not UTF-8"),
        ("bad-truncated.json", "still open"),
        ("bad-missing-data.json", "\"data\""),
        ("bad-traversal-name.json", "'..'"),
        ("bad-empty-array.json", "empty"),
    ])
    func poisonMessagesNameTheProblem(file: String, phrase: String) throws {
        let poison = try #require(
            MessageDecoder.decode(try EventFixtures.text(file), filter: EventFixtures.filter).poison
        )
        #expect(poison.message.contains(phrase), "\(poison.message)")
    }
}
