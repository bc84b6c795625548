import Testing

@testable import StorageClient

/// Bodies no honest service sends: every decoder must refuse them with an error (or, for
/// error bodies, nil) without crashing, hanging, expanding entities or touching the file system.
@Suite struct HostileXMLTests {
    /// Every decoder, reduced to "did it throw, and with what".
    private static let decoders: [(String, @Sendable ([UInt8]) -> StorageDecodingError?)] = [
        ("receivedMessages", { body in StorageDecodingError.caught { try QueueXML.receivedMessages(body) } }),
        ("peekedMessages", { body in StorageDecodingError.caught { try QueueXML.peekedMessages(body) } }),
        ("sentMessage", { body in StorageDecodingError.caught { try QueueXML.sentMessage(body) } }),
        ("listPage", { body in StorageDecodingError.caught { try BlobXML.listPage(body) } }),
        ("blockList", { body in StorageDecodingError.caught { try BlobXML.blockList(body) } }),
        ("userDelegationKey", { body in StorageDecodingError.caught { try BlobXML.userDelegationKey(body) } }),
    ]

    /// Expects every decoder to throw `code` (or any error when nil) and `errorDetails` to give nil.
    private static func expectRefusedEverywhere(
        _ body: [UInt8],
        code: StorageDecodingError.Code?,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for (name, decode) in Self.decoders {
            let error = decode(body)
            #expect(error != nil, "\(name) accepted the body", sourceLocation: sourceLocation)
            if let code, let error {
                #expect(error.code == code, "\(name): \(error)", sourceLocation: sourceLocation)
            }
            if let error {
                #expect(error.message.count < 200, "\(name): message too long", sourceLocation: sourceLocation)
            }
        }
        #expect(BlobXML.errorDetails(body) == nil, sourceLocation: sourceLocation)
    }

    private static let billionLaughs = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [
         <!ENTITY lol "lol">
         <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
         <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
         <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
         <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
         <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
         <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
         <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
         <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
         <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
        ]>
        <QueueMessagesList><QueueMessage><MessageId>&lol9;</MessageId><MessageText>&lol9;</MessageText></QueueMessage></QueueMessagesList>
        """

    @Test func refusesTheXXEFixture() throws {
        Self.expectRefusedEverywhere(try XMLReplyFixtures.load("queue-xml/hostile-xxe.xml"), code: .forbiddenXML)
    }

    @Test func refusesBillionLaughs() {
        Self.expectRefusedEverywhere(Array(Self.billionLaughs.utf8), code: .forbiddenXML)
    }

    @Test func refusesExternalEntitiesInEveryReplyShape() {
        for root in ["QueueMessagesList", "EnumerationResults", "BlockList", "UserDelegationKey", "Error"] {
            let body = """
                <?xml version="1.0" encoding="utf-8"?><!DOCTYPE \(root) SYSTEM "file:///etc/passwd"><\(root)><Code>&xxe;</Code></\(root)>
                """
            Self.expectRefusedEverywhere(Array(body.utf8), code: .forbiddenXML)
        }
    }

    @Test func refusesUndeclaredEntityReferences() {
        let body =
            "<QueueMessagesList><QueueMessage><MessageText>&passwd;</MessageText></QueueMessage></QueueMessagesList>"
        Self.expectRefusedEverywhere(Array(body.utf8), code: nil)
    }

    @Test func refusesADoctypeSmuggledInUTF16() {
        // The ASCII pre-scan for "<!DOCTYPE" cannot see this; the parser's own checks must.
        let text =
            "<?xml version=\"1.0\" encoding=\"UTF-16\"?>" + Self.billionLaughs.split(separator: "\n", maxSplits: 1)[1]
        var body: [UInt8] = [0xFF, 0xFE]
        for unit in text.utf16 { body += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        Self.expectRefusedEverywhere(body, code: nil)
    }

    @Test func refusesTruncatedDocuments() throws {
        Self.expectRefusedEverywhere(try XMLReplyFixtures.load("queue-xml/truncated.xml"), code: .malformedXML)
        let full = try XMLReplyFixtures.load("queue-xml/get-messages-two.xml")
        for length in stride(from: 0, to: full.count - 1, by: 97) {
            for (name, decode) in Self.decoders {
                #expect(decode(Array(full[0..<length])) != nil, "\(name) accepted a \(length)-byte prefix")
            }
        }
    }

    @Test func refusesA40MiBTextNode() {
        var body = Array("<QueueMessagesList><QueueMessage><MessageText>".utf8)
        body += repeatElement(UInt8(ascii: "a"), count: 40 * 1024 * 1024)
        body += "</MessageText></QueueMessage></QueueMessagesList>".utf8
        Self.expectRefusedEverywhere(body, code: .tooLarge)
    }

    @Test func refusesA20MiBTextNodeWithoutCrashing() {
        // Under the 32 MiB body limit but over libxml2's own limit for a single text node.
        var body = Array("<QueueMessagesList><QueueMessage><MessageText>".utf8)
        body += repeatElement(UInt8(ascii: "a"), count: 20 * 1024 * 1024)
        body += "</MessageText></QueueMessage></QueueMessagesList>".utf8
        let error = StorageDecodingError.caught { try QueueXML.receivedMessages(body) }
        #expect(error != nil)
        #expect((error?.message.count ?? 0) < 200)
    }

    @Test func refusesDeepNesting() {
        let depth = 100_000
        var body = Array("<QueueMessagesList>".utf8)
        body.reserveCapacity(depth * 8)
        for _ in 0..<depth { body += "<a>".utf8 }
        for _ in 0..<depth { body += "</a>".utf8 }
        body += "</QueueMessagesList>".utf8
        Self.expectRefusedEverywhere(body, code: .tooDeep)
    }

    @Test func refusesInvalidUTF8() {
        let prefix = Array(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList><QueueMessage><MessageText>".utf8
        )
        let suffix = Array("</MessageText></QueueMessage></QueueMessagesList>".utf8)
        for bad: [UInt8] in [
            [0xFF], [0xC3, 0x28], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF],
        ] {
            Self.expectRefusedEverywhere(prefix + bad + suffix, code: .malformedXML)
        }
    }

    @Test func refusesNULBytes() {
        let body =
            Array("<QueueMessagesList><QueueMessage><MessageText>a".utf8) + [0]
            + Array("b</MessageText></QueueMessage></QueueMessagesList>".utf8)
        Self.expectRefusedEverywhere(body, code: .malformedXML)
        Self.expectRefusedEverywhere([0] + Array("<QueueMessagesList />".utf8), code: .malformedXML)
        Self.expectRefusedEverywhere(Array("<QueueMessagesList />".utf8) + [0], code: nil)
        Self.expectRefusedEverywhere([UInt8](repeating: 0, count: 1024), code: nil)
    }

    @Test func refusesNonXMLAndEmptyBodies() {
        for text in [
            "", " ", "\n", "null", "{\"value\":[]}", "<", "<>", "</QueueMessagesList>", "<a><b></a></b>",
            "<QueueMessagesList/><QueueMessagesList/>", "<?xml version=\"1.0\"?>", "<!-- only a comment -->",
        ] {
            Self.expectRefusedEverywhere(Array(text.utf8), code: nil)
        }
    }

    @Test func refusesTheWrongRootForEachShape() {
        let roots = ["QueueMessagesList", "EnumerationResults", "BlockList", "UserDelegationKey"]
        for root in roots + ["Error", "queuemessageslist"] {
            let body = Array("<\(root)/>".utf8)
            for (name, decode) in Self.decoders {
                let error = decode(body)
                let accepts =
                    switch name {
                    case "receivedMessages", "peekedMessages": root == "QueueMessagesList"
                    case "listPage": false  // needs <Blobs>
                    case "blockList": root == "BlockList"
                    default: false
                    }
                if accepts {
                    #expect(error == nil, "\(name) refused <\(root)/>")
                } else {
                    #expect(error != nil, "\(name) accepted <\(root)/>")
                }
            }
        }
    }

    @Test func survivesRandomMutationsOfRealReplies() throws {
        let seeds = [
            try XMLReplyFixtures.load("queue-xml/get-messages-two.xml"),
            try XMLReplyFixtures.load("queue-xml/error-queue-not-found.xml"),
            Array(
                """
                <EnumerationResults><Blobs><Blob><Name Encoded="true">a%01</Name><Properties><Etag>0x1</Etag>\
                <Content-Length>5</Content-Length><Last-Modified>Fri, 20 Nov 2026 09:15:42 GMT</Last-Modified>\
                <Content-MD5>1B2M2Y8AsgTpgAmY7PhCfg==</Content-MD5></Properties><Metadata><k>v</k></Metadata></Blob>\
                <BlobPrefix><Name>p/</Name></BlobPrefix></Blobs><NextMarker>m</NextMarker></EnumerationResults>
                """.utf8
            ),
            Array(
                "<BlockList><CommittedBlocks><Block><Name>QQ==</Name><Size>1</Size></Block></CommittedBlocks></BlockList>"
                    .utf8
            ),
        ]
        var random = SplitMix64(seed: 0x5EED_B10B_F10E)
        let interesting: [UInt8] = Array("<>/&;=\"'!?%[] \0\u{7F}".utf8) + [0x80, 0xC3, 0xFF]
        for _ in 0..<3000 {
            var body = seeds[Int(random.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + random.next() % 4) where !body.isEmpty {
                let index = Int(random.next() % UInt64(body.count))
                switch random.next() % 4 {
                case 0: body[index] = interesting[Int(random.next() % UInt64(interesting.count))]
                case 1: body.remove(at: index)
                case 2: body.insert(interesting[Int(random.next() % UInt64(interesting.count))], at: index)
                default: body[index] = UInt8(truncatingIfNeeded: random.next())
                }
            }
            for (_, decode) in Self.decoders {
                if let error = decode(body) { #expect(error.message.count < 200) }
            }
            _ = BlobXML.errorDetails(body)
        }
    }
}

/// A small deterministic generator, so a failing mutation can be reproduced.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
