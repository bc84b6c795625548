import BlobEvents
import Foundation
import Testing

/// Encodings, schemas, field tolerance and ETag normalisation.
@Suite struct MessageDecoderSchemaTests {
    let filter = EventFixtures.filter

    // MARK: Encodings

    @Test func plainTextWithSurroundingWhitespaceAndByteOrderMark() {
        let event = EventFixtures.event()
        for text in ["  \n" + event + "\r\n", "\u{FEFF}" + event, "\t" + event] {
            #expect(MessageDecoder.decode(text, filter: self.filter).outcome == "work")
        }
    }

    @Test func base64WithLineBreaksMissingPaddingOrInnerByteOrderMark() {
        let event = EventFixtures.event()
        let encoded = EventFixtures.base64(event)
        var broken = ""
        for (index, character) in encoded.enumerated() {
            if index > 0, index % 60 == 0 { broken += index % 120 == 0 ? "\r\n" : "\n " }
            broken.append(character)
        }
        for text in [
            encoded, broken, String(encoded.prefix { $0 != "=" }), EventFixtures.base64("\u{FEFF}  " + event + "\n"),
        ] {
            #expect(MessageDecoder.decode(text, filter: self.filter).outcome == "work", "\(text.prefix(20))")
        }
    }

    @Test(arguments: ["", "   ", "\n\t"])
    func emptyMessageIsPoison(text: String) {
        #expect(MessageDecoder.decode(text, filter: self.filter).outcome == "poison:not-json")
    }

    @Test(arguments: [
        "hello world!", "e30==", "e30=x", "e30===", "Zm9v=YmFy", "abcde", "%7B%22id%22%3A1%7D", "<QueueMessage/>",
        "null",
        "ZXhhbXBsZQ==\u{0}",
    ])
    func neitherJSONNorBase64IsPoisonWithAReason(text: String) {
        let decoded = MessageDecoder.decode(text, filter: self.filter)
        #expect(decoded.poison != nil)
        #expect(
            ["not-json", "bad-base64", "wrong-type"].contains(decoded.poison?.code ?? ""),
            "\(MessageDecoder.describe(decoded))"
        )
    }

    @Test(arguments: ["e30", "e30=", "eyJhIjoxfQ", "eyJhIjoxfQ=", "eyJhIjoxfQ=="])
    func base64WithAnyPaddingOfAnObjectIsReadAsJSON(text: String) {
        #expect(MessageDecoder.decode(text, filter: self.filter).poison?.code == "missing-field")
    }

    @Test func base64OfTextThatIsNotJSONIsBadBase64() throws {
        let poison = try #require(
            MessageDecoder.decode(EventFixtures.base64("just some words"), filter: self.filter).poison
        )
        #expect(poison.code == "bad-base64")
        #expect(poison.message.contains("just some words"))
    }

    @Test func doubleBase64IsRecognised() throws {
        let twice = EventFixtures.base64(EventFixtures.base64(EventFixtures.event()))
        let poison = try #require(MessageDecoder.decode(twice, filter: self.filter).poison)
        #expect(poison.code == "bad-base64")
        #expect(poison.message.contains("twice"))
    }

    @Test func truncatedBase64JSONIsTruncated() {
        let event = EventFixtures.event()
        let text = EventFixtures.base64(String(event.prefix(event.count / 2)))
        let decoded = MessageDecoder.decode(text, filter: self.filter)
        #expect(decoded.poison?.code == "truncated")
        #expect(decoded.poison?.message.contains("after base64 decoding") == true)
    }

    @Test(arguments: ["{id: 1}", "[1, 2", "{\"a\":\"b\"} trailing", "{\"a\": tru}", "[{]}", "{\"a\" 1}", "[1 2]"])
    func malformedJSONIsPoison(text: String) {
        let code = MessageDecoder.decode(text, filter: self.filter).poison?.code
        #expect(code == "not-json" || code == "truncated", "\(text)")
    }

    /// Foundation's parser tolerates a trailing comma; the event is still judged on its members.
    @Test func trailingCommaIsReadButTheEventMustStillBeComplete() {
        let event = EventFixtures.event()
        let withComma = String(event.dropLast()) + ",}"
        #expect(MessageDecoder.decode(withComma, filter: self.filter).outcome == "work")
        #expect(MessageDecoder.decode("{\"id\": 1,}", filter: self.filter).poison?.code == "missing-field")
    }

    @Test(arguments: ["\"a string\"", "42", "true", "null", "[]", "[{}]"])
    func arrayWhoseElementIsNotAnObjectIsWrongType(text: String) {
        let decoded = MessageDecoder.decode("[" + text + "]", filter: self.filter)
        #expect(decoded.poison?.code == "wrong-type")
    }

    @Test func arrayOfThreeEventsIsPoisonNotTheFirst() throws {
        let event = EventFixtures.event()
        let poison = try #require(
            MessageDecoder.decode("[" + [event, event, event].joined(separator: ",") + "]", filter: self.filter).poison
        )
        #expect(poison.code == "multiple-events")
        #expect(poison.message.contains("3 events"))
    }

    // MARK: Schemas

    @Test func cloudEventWithoutTimeIsWorkWithEmptyTime() throws {
        let text = EventFixtures.event(schema: .cloudEvents) { envelope, _ in envelope["time"] = nil }
        let item = try #require(MessageDecoder.decode(text, filter: self.filter).workItem)
        #expect(item.schema == .cloudEvents)
        #expect(item.eventTime == "")
    }

    @Test func cloudEventWithoutSpecversionIsStillReadByItsType() {
        let text = EventFixtures.event(schema: .cloudEvents) { envelope, _ in envelope["specversion"] = nil }
        #expect(MessageDecoder.decode(text, filter: self.filter).workItem?.schema == .cloudEvents)
    }

    @Test func otherCloudEventsVersionIsUnsupported() {
        let text = EventFixtures.event(schema: .cloudEvents) { envelope, _ in envelope["specversion"] = "0.3" }
        #expect(MessageDecoder.decode(text, filter: self.filter).poison?.code == "unsupported-schema")
    }

    @Test func optionalEnvelopeAndDataFieldsMayBeMissingAndExtraFieldsAreIgnored() throws {
        let text = EventFixtures.event { envelope, data in
            envelope["topic"] = nil
            envelope["dataVersion"] = nil
            envelope["metadataVersion"] = nil
            envelope["deadLetterReason"] = "MaxDeliveryAttemptsExceeded"
            envelope["deliveryAttempts"] = 30
            envelope["extra"] = ["nested": [1, 2, ["deeper": true]]]
            for key in ["clientRequestId", "requestId", "contentType", "blobType", "storageDiagnostics"] {
                data[key] = nil
            }
            data["contentOffset"] = "not a number"
            data["unknown"] = [1, 2, 3]
        }
        let item = try #require(MessageDecoder.decode(text, filter: self.filter).workItem)
        #expect(item.contentType == "application/octet-stream")
        #expect(item.blobType == "BlockBlob")
    }

    @Test(arguments: [
        ("", "id"), ("", "subject"), ("", "eventType"), ("", "data"), ("data.", "api"), ("data.", "eTag"),
        ("data.", "contentLength"),
        ("data.", "url"), ("data.", "sequencer"),
    ])
    func missingRequiredFieldIsPoison(path: String, key: String) throws {
        let text = EventFixtures.event { envelope, data in
            if path.isEmpty {
                envelope[key] = key == "data" ? NSNull() : nil
            } else {
                data[key] = nil
            }
        }
        let poison = try #require(MessageDecoder.decode(text, filter: self.filter).poison)
        #expect(poison.code == "missing-field")
        if key != "eventType" { #expect(poison.message.contains("\"\(path)\(key)\""), "\(poison.message)") }
    }

    @Test func nullFieldCountsAsMissing() {
        let text = EventFixtures.event { envelope, _ in envelope["id"] = NSNull() }
        #expect(MessageDecoder.decode(text, filter: self.filter).poison?.code == "missing-field")
        let empty = EventFixtures.event { envelope, _ in envelope["id"] = "" }
        #expect(MessageDecoder.decode(empty, filter: self.filter).poison?.code == "missing-field")
    }

    @Test(arguments: [
        ("id", "42"), ("subject", "[\"a\"]"), ("eventType", "true"), ("data", "\"text\""), ("data", "[1]"),
        ("eventTime", "12"),
        ("id", "{\"nested\": {\"deeper\": []}}"),
    ])
    func wrongEnvelopeTypeIsPoison(key: String, json: String) {
        let text = EventFixtures.event { envelope, _ in envelope[key] = EventFixtures.placeholder }
        #expect(
            MessageDecoder.decode(EventFixtures.fillingPlaceholder(text, with: json), filter: self.filter).poison?.code
                == "wrong-type",
            "\(key)"
        )
    }

    @Test(arguments: [
        ("api", "1"), ("eTag", "[\"x\"]"), ("url", "false"), ("contentType", "3"), ("sequencer", "{\"s\": 1}"),
        ("blobType", "null"),
    ])
    func wrongDataTypeIsPoison(key: String, json: String) throws {
        let text = EventFixtures.event { _, data in data[key] = EventFixtures.placeholder }
        let decoded = MessageDecoder.decode(EventFixtures.fillingPlaceholder(text, with: json), filter: self.filter)
        if json == "null" {
            // null is as good as absent for optional members.
            #expect(decoded.workItem?.blobType == "BlockBlob")
            return
        }
        let poison = try #require(decoded.poison)
        #expect(poison.code == "wrong-type")
        #expect(poison.message.contains("data.\(key)"))
    }

    @Test(arguments: [
        ("0", Int64(0)), ("2048", 2048), ("000123", 123), ("734003200", 734_003_200),
    ])
    func numericStringContentLengthIsTolerated(text: String, expected: Int64) {
        let event = EventFixtures.event { _, data in data["contentLength"] = text }
        #expect(MessageDecoder.decode(event, filter: self.filter).workItem?.contentLength == expected)
    }

    @Test(arguments: ["", "abc", "12a", "-1", "+5", " 12", "1e3", "2048.0", "99999999999999999999", "0x10"])
    func nonNumericStringContentLengthIsWrongType(text: String) throws {
        let event = EventFixtures.event { _, data in data["contentLength"] = text }
        let poison = try #require(MessageDecoder.decode(event, filter: self.filter).poison)
        #expect(poison.code == "wrong-type")
        #expect(poison.message.contains("data.contentLength"))
    }

    @Test(arguments: ["-1", "1.5", "1e30", "true", "{}", "[]"])
    func nonByteCountContentLengthIsWrongType(json: String) {
        let event = EventFixtures.fillingPlaceholder(
            EventFixtures.event { _, data in data["contentLength"] = EventFixtures.placeholder },
            with: json
        )
        #expect(MessageDecoder.decode(event, filter: self.filter).poison?.code == "wrong-type", "\(json)")
    }

    @Test func largestContentLengthIsKept() {
        let event = EventFixtures.event { _, data in data["contentLength"] = Int64.max }
        #expect(MessageDecoder.decode(event, filter: self.filter).workItem?.contentLength == Int64.max)
    }

    // MARK: Event types and APIs

    @Test(arguments: [
        "Microsoft.Storage.BlobDeleted", "Microsoft.Storage.BlobTierChanged", "Microsoft.Storage.DirectoryCreated",
        "microsoft.storage.blobcreated", "",
    ])
    func otherEventTypesAreSkippedWithTheirIDAndBlob(type: String) {
        let text = EventFixtures.event { envelope, _ in envelope["eventType"] = type }
        let decoded = MessageDecoder.decode(text, filter: self.filter)
        guard case .skip(let reason, let eventID, let blob) = decoded else {
            Issue.record("\(MessageDecoder.describe(decoded))")
            return
        }
        #expect(reason.code == "not-blob-created")
        #expect(eventID == "4a7f3c2e-201e-0062-51b0-1a2b3c000001")
        #expect(blob == "input/scans/2026/tile-001.tif")
    }

    @Test func otherEventTypesNeedNoBlobCreatedData() {
        let text = EventFixtures.event { envelope, _ in
            envelope["eventType"] = "Microsoft.Storage.BlobDeleted"
            envelope["data"] = NSNull()
        }
        #expect(MessageDecoder.decode(text, filter: self.filter).skipCode == "not-blob-created")
    }

    @Test(arguments: ["PutBlob", "PutBlockList", "CopyBlob", "FlushWithClose", "SftpCommit"])
    func completingAPIsAreWork(api: String) {
        #expect(
            MessageDecoder.decode(EventFixtures.event(name: "a.bin", api: api), filter: self.filter).workItem?.api
                == api
        )
    }

    @Test(arguments: ["CreateFile", "SftpCreate", "PutBlock", "AppendBlock", "RenameFile", "putblob", ""])
    func otherAPIsAreIncomplete(api: String) throws {
        let decoded = MessageDecoder.decode(EventFixtures.event(name: "a.bin", api: api), filter: self.filter)
        guard case .skip(let reason, _, _) = decoded else {
            Issue.record("\(MessageDecoder.describe(decoded))")
            return
        }
        #expect(reason.code == "incomplete-api")
        if api == "CreateFile" {
            #expect(reason.message.contains("zero-length placeholder"))
        }
    }

    @Test func badSubjectIsPoison() {
        for subject in [
            "", "/blobServices/default/containers/input", "/fileServices/default/shares/x/files/y",
            "/blobServices/default/containers/input/blobs/",
        ] {
            let text = EventFixtures.event { envelope, _ in envelope["subject"] = subject }
            #expect(MessageDecoder.decode(text, filter: self.filter).poison?.code == "bad-subject", "\(subject)")
        }
    }

    // MARK: ETags

    @Test(arguments: [
        ("\"0x8DCB21A4F7E1C2B\"", "\"0x8DCB21A4F7E1C2B\""), ("0x8DCB21A4F7E1C2B", "\"0x8DCB21A4F7E1C2B\""),
        ("\"x\"", "\"x\""), ("x", "\"x\""),
    ])
    func eTagIsAlwaysQuoted(raw: String, normalised: String) throws {
        let text = EventFixtures.event { _, data in data["eTag"] = raw }
        let item = try #require(MessageDecoder.decode(text, filter: self.filter).workItem)
        #expect(item.eTag == normalised)
        #expect(item.versionKey.hasSuffix("@" + normalised.dropFirst().dropLast()))
    }

    @Test func quotedAndBareETagsGiveOneVersionKey() throws {
        let quoted = EventFixtures.event { _, data in data["eTag"] = "\"0x1\"" }
        let bare = EventFixtures.event { envelope, data in
            data["eTag"] = "0x1"
            envelope["id"] = "another-delivery"
        }
        let first = try #require(MessageDecoder.decode(quoted, filter: self.filter).workItem)
        let second = try #require(MessageDecoder.decode(bare, filter: self.filter).workItem)
        #expect(first.versionKey == second.versionKey)
        #expect(first.eTag == second.eTag)
        #expect(first.eventID != second.eventID)
    }

    @Test(arguments: ["", "\"\"", "\"", "W/\"0x1\"", "0x1\r\nX-Injected: yes", "0x 1", "\"0x1", "0x1\"", "é"])
    func invalidETagIsPoison(raw: String) {
        let text = EventFixtures.event { _, data in data["eTag"] = raw }
        #expect(MessageDecoder.decode(text, filter: self.filter).poison?.code == "bad-etag", "\(raw)")
    }

    // MARK: Work items

    @Test func workItemInitialiserQuotesETagAndRoundTripsAsJSON() throws {
        let item = BlobWorkItem(
            eventID: "e",
            eventTime: "2026-01-01T00:00:00Z",
            schema: .cloudEvents,
            api: "PutBlob",
            accountName: "acct",
            container: "input",
            blobName: "a/b.txt",
            eTag: "0xABC",
            contentLength: 5,
            sequencer: "01",
            blobURL: "https://acct.blob.core.windows.net/input/a/b.txt"
        )
        #expect(item.eTag == "\"0xABC\"")
        #expect(item.versionKey == "acct/input/a/b.txt@0xABC")
        let decoded = try JSONDecoder().decode(BlobWorkItem.self, from: JSONEncoder().encode(item))
        #expect(decoded == item)
    }

    @Test func describeGivesOneLinePerDecision() throws {
        let work = MessageDecoder.describe(
            MessageDecoder.decode(try EventFixtures.text("eventgrid-putblob.json"), filter: self.filter)
        )
        #expect(work.hasPrefix("work contosodata/input/scans/2026/tile-001.tif@0x8DCB21A4F7E1C2B"))
        let skip = MessageDecoder.describe(
            MessageDecoder.decode(try EventFixtures.text("adls-createfile.json"), filter: self.filter)
        )
        #expect(
            skip.hasPrefix(
                "skip [incomplete-api] input/lake/part-0001.parquet (event 4a7f3c2e-201e-0062-51b0-1a2b3c000001): CreateFile"
            )
        )
        let poison = MessageDecoder.describe(MessageDecoder.decode("{\"id\":", filter: self.filter))
        #expect(poison.hasPrefix("poison [truncated]: "))
        for line in [work, skip, poison] { #expect(!line.contains("\n")) }
    }

    /// Blob names and event ids may hold line breaks and terminal escapes; log lines must not.
    @Test func describeEscapesNamesAndIDsFromTheMessage() {
        let hostileWork = EventFixtures.event { envelope, _ in
            envelope["subject"] = "/blobServices/default/containers/input/blobs/line\nbreak\u{1B}[2J.txt"
            envelope["id"] = "id\r\nforged: entry" + String(repeating: "x", count: 5_000)
        }
        let hostileSkip = EventFixtures.event(container: "archive", name: "a\nb")
        for text in [hostileWork, hostileSkip] {
            let line = MessageDecoder.describe(MessageDecoder.decode(text, filter: self.filter))
            #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{1B}"), "\(line)")
            #expect(line.count < 600)
        }
        #expect(
            MessageDecoder.decode(hostileWork, filter: self.filter).workItem?.blobName == "line\nbreak\u{1B}[2J.txt"
        )
    }
}
