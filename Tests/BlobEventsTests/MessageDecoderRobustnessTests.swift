import BlobEvents
import Foundation
import Testing

/// Hostile and broken input: whatever arrives, the decoder returns a decision and never crashes.
@Suite struct MessageDecoderRobustnessTests {
    let filter = EventFixtures.filter

    static let skipCodes: Set<String> = [
        "not-blob-created", "incomplete-api", "other-container", "outside-prefix", "output-location",
        "directory-or-placeholder",
    ]
    static let poisonCodes: Set<String> = [
        "too-large", "not-json", "bad-base64", "truncated", "too-deep", "empty-array", "multiple-events",
        "missing-field", "wrong-type",
        "unsupported-schema", "bad-subject", "bad-etag", "url-mismatch", "unsafe-name",
    ]

    /// What every decision must satisfy, whatever the input.
    static func checkInvariants(_ decoded: DecodedMessage, filter: InputFilter, input: String) {
        switch decoded {
        case .work(let item):
            #expect(item.container == filter.container)
            #expect(item.blobName.utf8.starts(with: filter.prefix.utf8))
            #expect(!item.blobName.isEmpty && !item.blobName.hasPrefix("/") && !item.blobName.hasSuffix("/"))
            #expect(!item.blobName.contains("\u{0}") && !item.blobName.contains("\\"))
            let segments = item.blobName.split(separator: "/", omittingEmptySubsequences: false)
            #expect(!segments.contains { $0.isEmpty || $0 == "." || $0 == ".." }, "\(item.blobName)")
            #expect(item.eTag.count >= 3 && item.eTag.hasPrefix("\"") && item.eTag.hasSuffix("\""))
            #expect(!item.eTag.dropFirst().dropLast().contains("\""))
            #expect(item.eTag.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F })
            #expect(item.contentLength >= 0)
            #expect(MessageDecoder.completingAPIs.contains(item.api))
            #expect(!item.eventID.isEmpty)
        case .skip(let reason, _, _):
            #expect(Self.skipCodes.contains(reason.code), "\(reason)")
            #expect(!reason.message.isEmpty)
        case .poison(let reason):
            #expect(Self.poisonCodes.contains(reason.code), "\(reason)")
            #expect(!reason.message.isEmpty)
            #expect(reason.message.count < 600, "\(reason.message.count) characters")
        }
        let line = MessageDecoder.describe(decoded)
        #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{2028}"), "\(input.prefix(100))")
    }

    // MARK: Size

    @Test func largestQueueMessageIsAccepted() throws {
        let event = EventFixtures.event { envelope, _ in envelope["padding"] = EventFixtures.placeholder }
        let room = 64 * 1024 - (event.utf8.count - EventFixtures.placeholder.utf8.count - 2) - 2
        let text = EventFixtures.fillingPlaceholder(event, with: "\"" + String(repeating: "p", count: room) + "\"")
        #expect(text.utf8.count == 64 * 1024)
        #expect(MessageDecoder.decode(text, filter: self.filter).outcome == "work")
        #expect(MessageDecoder.decode(text + " ", filter: self.filter).poison?.code == "too-large")
    }

    @Test func largestBase64MessageIsAccepted() {
        let event = EventFixtures.event { envelope, _ in envelope["padding"] = String(repeating: "p", count: 45_000) }
        let text = EventFixtures.base64(event)
        #expect(text.utf8.count <= 64 * 1024)
        #expect(MessageDecoder.decode(text, filter: self.filter).outcome == "work")
    }

    @Test(.timeLimit(.minutes(1)))
    func hugeInputsArePoisonQuickly() {
        let huge = String(repeating: "A", count: 20_000_000)
        #expect(MessageDecoder.decode(huge, filter: self.filter).poison?.code == "too-large")
        let hugeJSON = "{\"a\":\"" + String(repeating: "é", count: 40_000) + "\"}"
        #expect(MessageDecoder.decode(hugeJSON, filter: self.filter).poison?.code == "too-large")
    }

    @Test func longValuesAreQuotedShortly() throws {
        let event = EventFixtures.event { _, data in data["contentLength"] = String(repeating: "9", count: 30_000) + "x"
        }
        let poison = try #require(MessageDecoder.decode(event, filter: self.filter).poison)
        #expect(poison.code == "wrong-type")
        #expect(poison.message.count < 200)
        let text = String(repeating: "%", count: 60_000)
        let notJSON = try #require(MessageDecoder.decode(text, filter: self.filter).poison)
        #expect(notJSON.message.count < 300)
    }

    // MARK: Nesting

    @Test(.timeLimit(.minutes(1)), arguments: [65, 1_000, 30_000])
    func deepNestingIsPoison(depth: Int) {
        let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let inEvent = EventFixtures.fillingPlaceholder(
            EventFixtures.event { envelope, _ in envelope["extra"] = EventFixtures.placeholder },
            with: nested
        )
        for text in [
            nested, inEvent, String(repeating: "{\"a\":", count: depth), String(repeating: "[", count: depth),
            EventFixtures.base64(nested),
        ] {
            let decoded = MessageDecoder.decode(text, filter: self.filter)
            #expect(decoded.poison?.code == "too-deep" || decoded.poison?.code == "too-large", "\(decoded.outcome)")
        }
    }

    @Test func moderateNestingInExtraFieldsIsIgnored() {
        let nested = String(repeating: "{\"a\":[", count: 25) + "1" + String(repeating: "]}", count: 25)
        let event = EventFixtures.fillingPlaceholder(
            EventFixtures.event { envelope, data in
                envelope["extra"] = EventFixtures.placeholder
                data["storageDiagnostics"] = ["batchId": "b", "more": ["x": [1, 2, 3]]]
            },
            with: nested
        )
        #expect(MessageDecoder.decode(event, filter: self.filter).outcome == "work")
    }

    @Test func bracketsInsideStringsDoNotCountAsNesting() {
        let event = EventFixtures.event { envelope, _ in
            envelope["note"] = String(repeating: "[{", count: 500) + "\\\"]"
        }
        #expect(MessageDecoder.decode(event, filter: self.filter).outcome == "work")
    }

    // MARK: Garbage

    @Test(.timeLimit(.minutes(2)))
    func randomBytesNeverCrash() {
        var random = SplitMix64(seed: 0x5EED_0001)
        let alphabets: [[UInt8]] = [
            Array(0...255),
            Array("{}[]\":,0123456789.-+eE truefalsnul\\/abcdef".utf8),
            Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \n".utf8),
        ]
        for round in 0..<3_000 {
            let alphabet = alphabets[round % alphabets.count]
            let length = Int.random(in: 0...(round % 10 == 0 ? 3_000 : 200), using: &random)
            let bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }
            var text = String(decoding: bytes, as: UTF8.self)
            if round % 4 == 1 { text = "{" + text }
            if round % 4 == 2 { text = "[" + text }
            if round % 7 == 3 { text = EventFixtures.base64(text) }
            Self.checkInvariants(MessageDecoder.decode(text, filter: self.filter), filter: self.filter, input: text)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func mutatedCorpusFilesNeverCrash() throws {
        var random = SplitMix64(seed: 0x5EED_0002)
        let sources = try EventFixtures.fileNames().map(EventFixtures.text)
        var outcomes: Set<String> = []
        for round in 0..<4_000 {
            var bytes = Array(sources[round % sources.count].utf8)
            if round % 3 == 0 { bytes = Array(EventFixtures.base64(String(decoding: bytes, as: UTF8.self)).utf8) }
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                Self.mutate(&bytes, using: &random)
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let decoded = MessageDecoder.decode(text, filter: self.filter)
            outcomes.insert(decoded.outcome)
            Self.checkInvariants(decoded, filter: self.filter, input: text)
        }
        // The mutations reach well past the parser.
        #expect(outcomes.contains("work"))
        #expect(outcomes.count >= 8, "\(outcomes.sorted())")
    }

    @Test func typedFieldMutationsNeverCrash() {
        let values = [
            "null", "true", "0", "-1", "1e400", "\"\"", "\"\\u0000\"", "\"\\ud800\"", "[]", "{}", "[[[[]]]]",
            "\"../x\"", "\"/blobServices/default/containers/input/blobs/\"",
            "\"\\\"\"", "123456789012345678901234567890", "\"\u{FEFF}\"", "{\"a\":{\"b\":{}}}",
        ]
        let envelopeKeys = ["id", "subject", "eventType", "eventTime", "data", "specversion", "type", "topic"]
        let dataKeys = [
            "api", "eTag", "contentLength", "contentType", "blobType", "url", "sequencer", "contentOffset",
            "storageDiagnostics",
        ]
        for value in values {
            for key in envelopeKeys {
                let text = EventFixtures.fillingPlaceholder(
                    EventFixtures.event { envelope, _ in envelope[key] = EventFixtures.placeholder },
                    with: value
                )
                Self.checkInvariants(MessageDecoder.decode(text, filter: self.filter), filter: self.filter, input: text)
            }
            for key in dataKeys {
                let text = EventFixtures.fillingPlaceholder(
                    EventFixtures.event { _, data in data[key] = EventFixtures.placeholder },
                    with: value
                )
                Self.checkInvariants(MessageDecoder.decode(text, filter: self.filter), filter: self.filter, input: text)
            }
        }
    }

    @Test func controlCharactersInQuotedInputStayOnOneLine() throws {
        let text = "%%%\n\r\u{2028}\u{85}\u{1B}[31m red \u{0}"
        let poison = try #require(MessageDecoder.decode(text, filter: self.filter).poison)
        #expect(poison.code == "not-json")
        #expect(
            !poison.message.contains("\n") && !poison.message.contains("\u{1B}") && !poison.message.contains("\u{0}")
        )
        #expect(poison.message.contains("\\n"))
    }

    /// One random change: flip, delete, insert, duplicate or truncate.
    private static func mutate(_ bytes: inout [UInt8], using random: inout SplitMix64) {
        guard !bytes.isEmpty else {
            bytes.append(UInt8.random(in: 0...255, using: &random))
            return
        }
        let index = Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<6, using: &random) {
        case 0:
            bytes[index] = UInt8.random(in: 0...255, using: &random)
        case 1:
            bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
        case 2:
            bytes.removeSubrange(index..<min(bytes.count, index + Int.random(in: 1...40, using: &random)))
        case 3:
            let interesting = Array("{}[]\",:\\/.0-".utf8)
            bytes.insert(interesting[Int.random(in: 0..<interesting.count, using: &random)], at: index)
        case 4:
            let end = min(bytes.count, index + Int.random(in: 1...60, using: &random))
            bytes.insert(contentsOf: bytes[index..<end], at: Int.random(in: 0...bytes.count, using: &random))
        default:
            bytes.removeSubrange(index...)
        }
    }
}
