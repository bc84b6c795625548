import StorageXML
import Testing

/// The fixtures folder shipped with the tests.
private func fixture(_ path: String) throws -> [UInt8] {
    let folder = #filePath.split(separator: "/").dropLast(2).joined(separator: "/")
    let file = "/" + folder + "/Fixtures/" + path
    guard let handle = fopen(file, "rb") else { throw FixtureMissing(path: file) }
    defer { fclose(handle) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, handle)
        if count <= 0 { break }
        bytes += buffer[0..<count]
    }
    return bytes
}

private struct FixtureMissing: Error { let path: String }

#if canImport(Glibc)
import Glibc
#endif

@Suite struct XMLDocumentParserTests {
    @Test func parsesAGetMessagesReply() throws {
        let root = try XMLDocumentParser.parse(try fixture("queue-xml/get-messages-two.xml"))
        #expect(root.name == "QueueMessagesList")
        let messages = root.children(named: "QueueMessage")
        #expect(messages.count == 2)
        #expect(messages[0].childText("PopReceipt") == "AgAAAAMAAAAAAAAAsyMvCpTz3AE=")
        #expect(messages[1].childText("DequeueCount") == "4")
    }

    @Test func parsesAnEmptyList() throws {
        let root = try XMLDocumentParser.parse(try fixture("queue-xml/get-messages-empty.xml"))
        #expect(root.name == "QueueMessagesList")
        #expect(root.children.isEmpty)
    }

    @Test func refusesDTDsAndEntities() throws {
        #expect(throws: XMLParseError.forbiddenConstruct("")) {
            try XMLDocumentParser.parse(try fixture("queue-xml/hostile-xxe.xml"))
        }
    }

    @Test func reportsTruncatedDocuments() throws {
        #expect(throws: XMLParseError.malformed("")) {
            try XMLDocumentParser.parse(try fixture("queue-xml/truncated.xml"))
        }
    }

    @Test func enforcesLimits() {
        let deep = String(repeating: "<a>", count: 200) + String(repeating: "</a>", count: 200)
        #expect(throws: XMLParseError.tooDeep(limit: 64)) { try XMLDocumentParser.parse(deep) }
        #expect(throws: XMLParseError.tooLarge(limit: 10)) {
            try XMLDocumentParser.parse("<a>0123456789</a>", maxBytes: 10)
        }
        #expect(throws: XMLParseError.empty) { try XMLDocumentParser.parse("") }
    }

    @Test func unescapesTextAndKeepsCDATA() throws {
        let root = try XMLDocumentParser.parse("<m><t>a &amp; b &lt;c&gt;</t><u><![CDATA[<raw>]]></u></m>")
        #expect(root.childText("t") == "a & b <c>")
        #expect(root.childText("u") == "<raw>")
    }

    @Test func escapingRoundTrips() throws {
        let text = "a & b <c> \"d\" 'e'"
        let root = try XMLDocumentParser.parse("<t>" + XMLEscaping.escape(text) + "</t>")
        #expect(root.text == text)
    }

    @Test func survivesGarbage() {
        for input in ["<", "<a>", "</a>", "<a></b>", "\u{0}\u{1}", "<a><b></a>", "<?xml version=\"1.0\"?>", "<a/><b/>"]
        {
            #expect(throws: XMLParseError.self) { try XMLDocumentParser.parse(input) }
        }
    }
}
