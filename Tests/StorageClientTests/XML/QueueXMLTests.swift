import StorageCore
import StorageXML
import Testing

@testable import StorageClient

@Suite struct QueueXMLTests {
    private static func date(_ text: String) -> StorageDate { StorageDate(rfc1123: text)! }

    /// A Get Messages reply with one message, as the service sends it; `fields` replaces the
    /// children of `<QueueMessage>`.
    private static func reply(_ fields: [(String, String)]) -> [UInt8] {
        var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList><QueueMessage>"
        for (name, value) in fields { xml += "<\(name)>\(value)</\(name)>" }
        xml += "</QueueMessage></QueueMessagesList>"
        return Array(xml.utf8)
    }

    private static let receivedFields = [
        ("MessageId", "5974b586-0df3-4e2d-ad0c-18e3892bfca2"),
        ("InsertionTime", "Fri, 20 Nov 2026 09:15:43 GMT"),
        ("ExpirationTime", "Fri, 27 Nov 2026 09:15:43 GMT"),
        ("PopReceipt", "AgAAAAMAAAAAAAAAsyMvCpTz3AE="),
        ("TimeNextVisible", "Fri, 20 Nov 2026 09:20:43 GMT"),
        ("DequeueCount", "1"),
        ("MessageText", "aGVsbG8="),
    ]

    // MARK: Get Messages

    @Test func decodesTheTwoMessageFixture() throws {
        let messages = try QueueXML.receivedMessages(try XMLReplyFixtures.load("queue-xml/get-messages-two.xml"))
        #expect(messages.count == 2)
        let first = messages[0]
        #expect(first.messageID == "5974b586-0df3-4e2d-ad0c-18e3892bfca2")
        #expect(first.insertionTime == Self.date("Fri, 20 Nov 2026 09:15:43 GMT"))
        #expect(first.expirationTime.iso8601(fractionDigits: 0) == "9999-12-31T23:59:59Z")
        #expect(first.popReceipt == "AgAAAAMAAAAAAAAAsyMvCpTz3AE=")
        #expect(first.timeNextVisible == Self.date("Fri, 20 Nov 2026 09:20:43 GMT"))
        #expect(first.dequeueCount == 1)
        #expect(first.text.hasPrefix("eyJ0b3BpYyI6"))
        #expect(Base64.decode(first.text).map { String(decoding: $0, as: UTF8.self) }?.contains("BlobCreated") == true)
        let second = messages[1]
        #expect(second.dequeueCount == 4)
        #expect(second.popReceipt == "AgAAAAMAAAAAAAAA+4kQC5Tz3AE=")
        #expect(
            second.text
                == #"{"eventType":"Microsoft.Storage.BlobCreated","note":"plain text with <escaped> & characters"}"#
        )
    }

    @Test func decodesAnEmptyQueue() throws {
        #expect(try QueueXML.receivedMessages(try XMLReplyFixtures.load("queue-xml/get-messages-empty.xml")).isEmpty)
        #expect(try QueueXML.receivedMessages(Array("<QueueMessagesList></QueueMessagesList>".utf8)).isEmpty)
        #expect(try QueueXML.peekedMessages(Array("<QueueMessagesList/>".utf8)).isEmpty)
    }

    @Test func decodesPrettyPrintedRepliesAndKeepsTextVerbatim() throws {
        let body = """
            <?xml version="1.0" encoding="utf-8"?>
            <QueueMessagesList>
              <QueueMessage>
                <MessageId>8c1e8a36-2f77-4a0b-9b1d-6a2f0c4d5e11</MessageId>
                <InsertionTime>Fri, 20 Nov 2026 09:15:44 GMT</InsertionTime>
                <ExpirationTime>Fri, 27 Nov 2026 09:15:44 GMT</ExpirationTime>
                <PopReceipt>AgAAAAMAAAAAAAAA+4kQC5Tz3AE=</PopReceipt>
                <TimeNextVisible>Fri, 20 Nov 2026 09:20:43 GMT</TimeNextVisible>
                <DequeueCount>12</DequeueCount>
                <MessageText>  spaced, ünïcødé ✓ &#x1F600; <![CDATA[<raw>]]></MessageText>
              </QueueMessage>
            </QueueMessagesList>
            """
        let messages = try QueueXML.receivedMessages(Array(body.utf8))
        #expect(messages.count == 1)
        #expect(messages.first?.dequeueCount == 12)
        #expect(messages.first?.text == "  spaced, ünïcødé ✓ 😀 <raw>")
    }

    @Test func acceptsAnEmptyMessageText() throws {
        var fields = Self.receivedFields
        fields[6].1 = ""
        #expect(try QueueXML.receivedMessages(Self.reply(fields)).first?.text == "")
    }

    @Test func ignoresUnknownElements() throws {
        var fields = Self.receivedFields
        fields.insert(("FutureField", "x"), at: 2)
        #expect(try QueueXML.receivedMessages(Self.reply(fields)).count == 1)
    }

    @Test(arguments: [
        "MessageId", "InsertionTime", "ExpirationTime", "PopReceipt", "TimeNextVisible", "DequeueCount", "MessageText",
    ])
    func namesAMissingField(field: String) {
        let body = Self.reply(Self.receivedFields.filter { $0.0 != field })
        let error = StorageDecodingError.caught { try QueueXML.receivedMessages(body) }
        #expect(error?.code == .missingElement)
        #expect(error?.message == "missing <\(field)> in <QueueMessage>")
    }

    @Test(arguments: [
        ("InsertionTime", "2026-11-20T09:15:43Z"),
        ("InsertionTime", ""),
        ("ExpirationTime", "Fri, 32 Nov 2026 09:15:43 GMT"),
        ("ExpirationTime", "Fri, 20 Nov 2026 24:15:43 GMT"),
        ("TimeNextVisible", "Fri, 20 Foo 2026 09:15:43 GMT"),
        ("TimeNextVisible", "Fri, 20 Nov 2026 09:15:43 UTC"),
        ("TimeNextVisible", "yesterday"),
        ("DequeueCount", "abc"),
        ("DequeueCount", "-1"),
        ("DequeueCount", "+1"),
        ("DequeueCount", " 1"),
        ("DequeueCount", "1.0"),
        ("DequeueCount", "1e3"),
        ("DequeueCount", ""),
        ("DequeueCount", "99999999999999999999999999"),
        ("DequeueCount", "٣"),
        ("MessageId", ""),
        ("PopReceipt", ""),
    ])
    func namesAnInvalidField(field: String, value: String) {
        let body = Self.reply(Self.receivedFields.map { $0.0 == field ? ($0.0, value) : $0 })
        let error = StorageDecodingError.caught { try QueueXML.receivedMessages(body) }
        #expect(error?.code == .invalidValue)
        let expected = value.isEmpty && (field == "MessageId" || field == "PopReceipt") ? "is empty" : "is not"
        #expect(
            error?.message.hasPrefix("<\(field)> in <QueueMessage> \(expected)") == true,
            "\(String(describing: error))"
        )
    }

    @Test func errorMessagesQuoteOnlyAShortExcerpt() {
        let huge = String(repeating: "9", count: 100_000)
        let body = Self.reply(Self.receivedFields.map { $0.0 == "DequeueCount" ? ($0.0, "x" + huge) : $0 })
        let error = StorageDecodingError.caught { try QueueXML.receivedMessages(body) }
        #expect(error?.code == .invalidValue)
        #expect((error?.message.count ?? .max) < 150)
        #expect(error?.description == error?.message)
    }

    @Test func controlCharactersInValuesAreShownEscaped() {
        let body = Self.reply(Self.receivedFields.map { $0.0 == "DequeueCount" ? ($0.0, "1\n\t2") : $0 })
        let error = StorageDecodingError.caught { try QueueXML.receivedMessages(body) }
        #expect(error?.message.contains("1\\u{a}\\u{9}2") == true)
    }

    @Test func refusesOtherRootElements() throws {
        let errorBody = try XMLReplyFixtures.load("queue-xml/error-queue-not-found.xml")
        let error = StorageDecodingError.caught { try QueueXML.receivedMessages(errorBody) }
        #expect(error?.code == .unexpectedRoot)
        #expect(error?.message == "expected root element <QueueMessagesList>, found <Error>")
        // Put Message's request shape is not a reply.
        let request = QueueXML.putMessageBody(text: "x")
        #expect(StorageDecodingError.caught { try QueueXML.sentMessage(request) }?.code == .unexpectedRoot)
    }

    // MARK: Peek Messages

    @Test func decodesPeekedMessages() throws {
        let body = """
            <?xml version="1.0" encoding="utf-8"?><QueueMessagesList><QueueMessage><MessageId>7d35e47d-f58e-42da-ba4a-9e6ac7e1214d</MessageId>\
            <InsertionTime>Fri, 20 Nov 2026 09:15:43 GMT</InsertionTime><ExpirationTime>Fri, 27 Nov 2026 09:15:43 GMT</ExpirationTime>\
            <DequeueCount>0</DequeueCount><MessageText>first</MessageText></QueueMessage><QueueMessage>\
            <MessageId>a1b2c3d4-0000-4e5f-8a9b-000000000002</MessageId><InsertionTime>Fri, 20 Nov 2026 09:15:44 GMT</InsertionTime>\
            <ExpirationTime>Fri, 31 Dec 9999 23:59:59 GMT</ExpirationTime><DequeueCount>3</DequeueCount>\
            <MessageText>second &amp; last</MessageText></QueueMessage></QueueMessagesList>
            """
        let messages = try QueueXML.peekedMessages(Array(body.utf8))
        #expect(
            messages == [
                PeekedQueueMessage(
                    messageID: "7d35e47d-f58e-42da-ba4a-9e6ac7e1214d",
                    insertionTime: Self.date("Fri, 20 Nov 2026 09:15:43 GMT"),
                    expirationTime: Self.date("Fri, 27 Nov 2026 09:15:43 GMT"),
                    dequeueCount: 0,
                    text: "first"
                ),
                PeekedQueueMessage(
                    messageID: "a1b2c3d4-0000-4e5f-8a9b-000000000002",
                    insertionTime: Self.date("Fri, 20 Nov 2026 09:15:44 GMT"),
                    expirationTime: Self.date("Fri, 31 Dec 9999 23:59:59 GMT"),
                    dequeueCount: 3,
                    text: "second & last"
                ),
            ]
        )
    }

    @Test func peekAcceptsAReceiveReplyButReceiveNeedsAPopReceipt() throws {
        let received = try XMLReplyFixtures.load("queue-xml/get-messages-two.xml")
        #expect(try QueueXML.peekedMessages(received).map(\.dequeueCount) == [1, 4])
        let peeked = Self.reply(Self.receivedFields.filter { $0.0 != "PopReceipt" && $0.0 != "TimeNextVisible" })
        #expect(try QueueXML.peekedMessages(peeked).count == 1)
        let error = StorageDecodingError.caught { try QueueXML.receivedMessages(peeked) }
        #expect(error?.message == "missing <PopReceipt> in <QueueMessage>")
    }

    // MARK: Put Message

    @Test func decodesAPutMessageReply() throws {
        let body = """
            <?xml version="1.0" encoding="utf-8"?><QueueMessagesList><QueueMessage><MessageId>0cd2e4f6-9a31-4c6e-b1a5-3f0e2d7c8b90</MessageId>\
            <InsertionTime>Sat, 21 Nov 2026 13:42:24 GMT</InsertionTime><ExpirationTime>Sat, 28 Nov 2026 13:42:24 GMT</ExpirationTime>\
            <PopReceipt>AgAAAAMAAAAAAAAAIiXl+yHE3AE=</PopReceipt><TimeNextVisible>Sat, 21 Nov 2026 13:42:54 GMT</TimeNextVisible>\
            </QueueMessage></QueueMessagesList>
            """
        let sent = try QueueXML.sentMessage(Array(body.utf8))
        #expect(
            sent
                == SentQueueMessage(
                    messageID: "0cd2e4f6-9a31-4c6e-b1a5-3f0e2d7c8b90",
                    insertionTime: Self.date("Sat, 21 Nov 2026 13:42:24 GMT"),
                    expirationTime: Self.date("Sat, 28 Nov 2026 13:42:24 GMT"),
                    popReceipt: "AgAAAAMAAAAAAAAAIiXl+yHE3AE=",
                    timeNextVisible: Self.date("Sat, 21 Nov 2026 13:42:54 GMT")
                )
        )
    }

    @Test func putMessageReplyMustHoldExactlyOneMessage() throws {
        let empty = StorageDecodingError.caught { () throws(StorageDecodingError) in
            try QueueXML.sentMessage(Array("<QueueMessagesList />".utf8))
        }
        #expect(empty?.code == .unexpectedCount)
        #expect(empty?.message == "expected 1 <QueueMessage> in <QueueMessagesList>, found 0")
        let two = try XMLReplyFixtures.load("queue-xml/get-messages-two.xml")
        #expect(StorageDecodingError.caught { try QueueXML.sentMessage(two) }?.code == .unexpectedCount)
    }

    @Test func writesThePutMessageBody() throws {
        let body = QueueXML.putMessageBody(text: "eyJhIjoxfQ==")
        #expect(
            String(decoding: body, as: UTF8.self)
                == "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage><MessageText>eyJhIjoxfQ==</MessageText></QueueMessage>"
        )
    }

    @Test(arguments: [
        #"{"a":"<b> & 'c'"}"#, "line one\r\nline two\rthree\n", "  padded  ", "", "ünïcødé ✓ 😀", "]]> <![CDATA[",
    ])
    func putMessageBodyRoundTripsThroughAnXMLParser(text: String) throws {
        let root = try XMLDocumentParser.parse(QueueXML.putMessageBody(text: text))
        #expect(root.name == "QueueMessage")
        #expect(root.childText("MessageText") == text)
    }

    @Test func putMessageBodyDropsCharactersXMLCannotCarry() throws {
        let root = try XMLDocumentParser.parse(QueueXML.putMessageBody(text: "a\u{0}b\u{1}c"))
        #expect(root.childText("MessageText") == "abc")
    }
}
