import StorageCore
import StorageXML
import Testing

@testable import StorageClient

@Suite struct BlobXMLTests {
    // MARK: List Blobs

    /// A List Blobs reply as the service sends it (one line, `include=metadata`, a delimiter).
    private static let listReply = """
        <?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://contosodata.blob.core.windows.net/" \
        ContainerName="input"><Prefix>scans/</Prefix><MaxResults>3</MaxResults><Delimiter>/</Delimiter><Blobs><Blob>\
        <Name>scans/tile-001.tif</Name><Properties><Creation-Time>Fri, 20 Nov 2026 09:15:41 GMT</Creation-Time>\
        <Last-Modified>Fri, 20 Nov 2026 09:15:42 GMT</Last-Modified><Etag>0x8DCB21A4F7E1C2B</Etag>\
        <Content-Length>2048</Content-Length><Content-Type>image/tiff</Content-Type><Content-Encoding />\
        <Content-Language /><Content-CRC64 /><Content-MD5>1B2M2Y8AsgTpgAmY7PhCfg==</Content-MD5><Cache-Control />\
        <Content-Disposition /><BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier>\
        <AccessTierInferred>true</AccessTierInferred><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>\
        <ServerEncrypted>true</ServerEncrypted></Properties><Metadata><source>scanner-7</source><batch>2026-11-20</batch>\
        </Metadata><OrMetadata /></Blob><Blob><Name>scans/tile-002.tif</Name><Properties>\
        <Creation-Time>Fri, 20 Nov 2026 09:16:00 GMT</Creation-Time><Last-Modified>Fri, 20 Nov 2026 09:16:05 GMT</Last-Modified>\
        <Etag>"0x8DCB21A5A1B2C3D"</Etag><Content-Length>6442450944</Content-Length>\
        <Content-Type>application/octet-stream</Content-Type><Content-Encoding>gzip</Content-Encoding>\
        <Content-Language>en-GB</Content-Language><Content-MD5 /><Cache-Control>max-age=3600</Cache-Control>\
        <Content-Disposition>attachment; filename="tile 002.tif"</Content-Disposition><BlobType>BlockBlob</BlobType>\
        </Properties><Metadata /></Blob><BlobPrefix><Name>scans/2026/</Name></BlobPrefix></Blobs>\
        <NextMarker>2!92!MDAwMDI4IXNjYW5zL3RpbGUtMDAzLnRpZiEwMDAwMjghOTk5OS0xMi0zMVQyMzo1OTo1OS45OTk5OTk5WiE-</NextMarker>\
        </EnumerationResults>
        """

    @Test func decodesAListPage() throws {
        let page = try BlobXML.listPage(Array(Self.listReply.utf8))
        #expect(page.blobs.map(\.name) == ["scans/tile-001.tif", "scans/tile-002.tif"])
        #expect(page.prefixes == ["scans/2026/"])
        #expect(
            page.nextMarker
                == "2!92!MDAwMDI4IXNjYW5zL3RpbGUtMDAzLnRpZiEwMDAwMjghOTk5OS0xMi0zMVQyMzo1OTo1OS45OTk5OTk5WiE-"
        )

        let first = page.blobs[0].properties
        #expect(
            first
                == BlobProperties(
                    contentLength: 2048,
                    contentType: "image/tiff",
                    contentMD5: [
                        0xD4, 0x1D, 0x8C, 0xD9, 0x8F, 0x00, 0xB2, 0x04, 0xE9, 0x80, 0x09, 0x98, 0xEC, 0xF8, 0x42, 0x7E,
                    ],
                    eTag: "0x8DCB21A4F7E1C2B",
                    lastModified: StorageDate(rfc1123: "Fri, 20 Nov 2026 09:15:42 GMT"),
                    creationTime: StorageDate(rfc1123: "Fri, 20 Nov 2026 09:15:41 GMT"),
                    blobType: "BlockBlob",
                    metadata: ["source": "scanner-7", "batch": "2026-11-20"]
                )
        )

        let second = page.blobs[1].properties
        #expect(second.contentLength == 6_442_450_944)
        #expect(second.eTag == "\"0x8DCB21A5A1B2C3D\"")
        #expect(second.contentMD5 == nil)
        #expect(second.contentEncoding == "gzip")
        #expect(second.contentLanguage == "en-GB")
        #expect(second.cacheControl == "max-age=3600")
        #expect(second.contentDisposition == "attachment; filename=\"tile 002.tif\"")
        #expect(second.metadata.isEmpty)
    }

    @Test func decodesAPrettyPrintedMinimalPage() throws {
        let body = """
            <?xml version="1.0" encoding="utf-8"?>
            <EnumerationResults ServiceEndpoint="http://127.0.0.1:10000/devstoreaccount1" ContainerName="output">
              <Blobs>
                <Blob>
                  <Name>a.txt</Name>
                  <Properties>
                    <Etag>0x1</Etag>
                    <Content-Length>0</Content-Length>
                  </Properties>
                </Blob>
              </Blobs>
              <NextMarker />
            </EnumerationResults>
            """
        let page = try BlobXML.listPage(Array(body.utf8))
        #expect(
            page
                == BlobListPage(blobs: [
                    BlobListItem(name: "a.txt", properties: BlobProperties(contentLength: 0, eTag: "0x1"))
                ])
        )
        #expect(page.nextMarker == nil)
    }

    @Test func decodesAnEmptyContainer() throws {
        let body =
            #"<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="x" ContainerName="c"><Blobs /><NextMarker /></EnumerationResults>"#
        #expect(try BlobXML.listPage(Array(body.utf8)) == BlobListPage(blobs: []))
    }

    @Test func decodesEncodedNames() throws {
        let body = """
            <EnumerationResults><Blobs><Blob><Name Encoded="true">dir/a%01b%EF%BF%BE%20c</Name><Properties><Etag>0x1</Etag>\
            <Content-Length>1</Content-Length></Properties></Blob><BlobPrefix><Name Encoded="true">dir%0Asub/</Name></BlobPrefix>\
            <Blob><Name Encoded="false">100%</Name><Properties><Etag>0x2</Etag><Content-Length>2</Content-Length></Properties></Blob>\
            </Blobs></EnumerationResults>
            """
        let page = try BlobXML.listPage(Array(body.utf8))
        #expect(page.blobs.map(\.name) == ["dir/a\u{1}b\u{FFFE} c", "100%"])
        #expect(page.prefixes == ["dir\nsub/"])
    }

    @Test(arguments: ["%zz", "abc%4", "%", "%FF", "%C3%28", "%00%E2%82"])
    func refusesBadPercentEscapesInEncodedNames(name: String) {
        let body = Array(
            #"<EnumerationResults><Blobs><BlobPrefix><Name Encoded="true">\#(name)</Name></BlobPrefix></Blobs></EnumerationResults>"#
                .utf8
        )
        let error = StorageDecodingError.caught { try BlobXML.listPage(body) }
        #expect(error?.code == .invalidValue)
        #expect(error?.message.hasPrefix("<Name> in <BlobPrefix> is not valid percent-encoded UTF-8") == true)
    }

    @Test func contentMD5IsNilWhenNotBase64() throws {
        let body = Self.listReply.replacingFirst("1B2M2Y8AsgTpgAmY7PhCfg==", with: "not base64!")
        let page = try BlobXML.listPage(Array(body.utf8))
        #expect(page.blobs[0].properties.contentMD5 == nil)
    }

    @Test func skipsInvalidMetadataMarkers() throws {
        let body = Self.listReply.replacingFirst(
            "<batch>",
            with: "<x-ms-invalid-name>bad name</x-ms-invalid-name><batch>"
        )
        #expect(
            try BlobXML.listPage(Array(body.utf8)).blobs[0].properties.metadata == [
                "source": "scanner-7", "batch": "2026-11-20",
            ]
        )
    }

    @Test(arguments: [
        (
            "<Content-Length>2048</Content-Length>", "<Content-Length>2 KiB</Content-Length>",
            "<Content-Length> in <Properties> is not"
        ),
        (
            "<Content-Length>2048</Content-Length>", "<Content-Length>-1</Content-Length>",
            "<Content-Length> in <Properties> is not"
        ),
        (
            "<Content-Length>2048</Content-Length>", "<Content-Length>99999999999999999999</Content-Length>",
            "<Content-Length> in <Properties> is not"
        ),
        ("<Content-Length>2048</Content-Length>", "", "missing <Content-Length> in <Properties>"),
        ("<Etag>0x8DCB21A4F7E1C2B</Etag>", "", "missing <Etag> in <Properties>"),
        ("<Etag>0x8DCB21A4F7E1C2B</Etag>", "<Etag />", "<Etag> in <Properties> is empty"),
        ("Fri, 20 Nov 2026 09:15:42 GMT", "2026-11-20T09:15:42Z", "<Last-Modified> in <Properties> is not"),
        ("Fri, 20 Nov 2026 09:15:41 GMT", "soon", "<Creation-Time> in <Properties> is not"),
        ("<Name>scans/tile-001.tif</Name>", "", "missing <Name> in <Blob>"),
        ("<Name>scans/tile-001.tif</Name>", "<Name />", "<Name> in <Blob> is empty"),
        ("<Name>scans/2026/</Name>", "", "missing <Name> in <BlobPrefix>"),
        ("<Blobs>", "<Blobz>", "missing <Blobs> in <EnumerationResults>"),
    ])
    func namesTheBadField(original: String, replacement: String, expected: String) {
        var body = Self.listReply.replacingFirst(original, with: replacement)
        if original == "<Blobs>" { body = body.replacingFirst("</Blobs>", with: "</Blobz>") }
        let error = StorageDecodingError.caught { try BlobXML.listPage(Array(body.utf8)) }
        #expect(error?.message.hasPrefix(expected) == true, "\(String(describing: error))")
    }

    @Test func aBlobWithoutPropertiesIsAnError() {
        let body = Array("<EnumerationResults><Blobs><Blob><Name>a</Name></Blob></Blobs></EnumerationResults>".utf8)
        let error = StorageDecodingError.caught { try BlobXML.listPage(body) }
        #expect(error?.message == "missing <Properties> in <Blob>")
    }

    @Test func missingDatesAreNil() throws {
        let body = Self.listReply.replacingFirst(
            "<Last-Modified>Fri, 20 Nov 2026 09:15:42 GMT</Last-Modified>",
            with: "<Last-Modified />"
        )
        .replacingFirst("<Creation-Time>Fri, 20 Nov 2026 09:15:41 GMT</Creation-Time>", with: "")
        let properties = try BlobXML.listPage(Array(body.utf8)).blobs[0].properties
        #expect(properties.lastModified == nil)
        #expect(properties.creationTime == nil)
    }

    // MARK: Block lists

    @Test func decodesABlockList() throws {
        let body = """
            <?xml version="1.0" encoding="utf-8"?><BlockList><CommittedBlocks><Block><Name>QmxvY2tJZDAwMDAw</Name>\
            <Size>4194304</Size></Block><Block><Name>QmxvY2tJZDAwMDAx</Name><Size>1048576</Size></Block></CommittedBlocks>\
            <UncommittedBlocks><Block><Name>QmxvY2tJZDAwMDAy</Name><Size>524288</Size></Block></UncommittedBlocks></BlockList>
            """
        #expect(
            try BlobXML.blockList(Array(body.utf8))
                == BlockList(
                    committed: [
                        BlockListEntry(id: "QmxvY2tJZDAwMDAw", size: 4_194_304),
                        BlockListEntry(id: "QmxvY2tJZDAwMDAx", size: 1_048_576),
                    ],
                    uncommitted: [BlockListEntry(id: "QmxvY2tJZDAwMDAy", size: 524_288)]
                )
        )
    }

    @Test func decodesPartialBlockLists() throws {
        #expect(try BlobXML.blockList(Array("<BlockList><CommittedBlocks /></BlockList>".utf8)) == BlockList())
        #expect(
            try BlobXML.blockList(Array("<BlockList><UncommittedBlocks /><CommittedBlocks /></BlockList>".utf8))
                == BlockList()
        )
        #expect(try BlobXML.blockList(Array("<BlockList />".utf8)) == BlockList())
    }

    @Test(arguments: [
        ("<Block><Size>1</Size></Block>", "missing <Name> in <Block>"),
        ("<Block><Name>QQ==</Name></Block>", "missing <Size> in <Block>"),
        (
            "<Block><Name>QQ==</Name><Size>one</Size></Block>",
            "<Size> in <Block> is not a non-negative integer: \"one\""
        ),
        ("<Block><Name /><Size>1</Size></Block>", "<Name> in <Block> is empty"),
    ])
    func blockListErrorsNameTheField(block: String, expected: String) {
        let body = Array("<BlockList><CommittedBlocks>\(block)</CommittedBlocks></BlockList>".utf8)
        let error = StorageDecodingError.caught { try BlobXML.blockList(body) }
        #expect(error?.message == expected)
    }

    @Test func writesAPutBlockListBody() throws {
        let ids = ["QmxvY2tJZDAwMDAw", "QmxvY2tJZDAwMDAx", "a+b/c=="]
        let body = BlobXML.blockListBody(latest: ids)
        #expect(
            String(decoding: body, as: UTF8.self)
                == "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>QmxvY2tJZDAwMDAw</Latest>"
                + "<Latest>QmxvY2tJZDAwMDAx</Latest><Latest>a+b/c==</Latest></BlockList>"
        )
        let root = try XMLDocumentParser.parse(body)
        #expect(root.children(named: "Latest").map(\.text) == ids)
        #expect(String(decoding: BlobXML.blockListBody(latest: []), as: UTF8.self).hasSuffix("<BlockList></BlockList>"))
    }

    // MARK: User delegation keys

    private static let delegationKeyReply = """
        <?xml version="1.0" encoding="utf-8"?><UserDelegationKey><SignedOid>6d8b5a42-41e4-4a5c-9f64-0b7d2d8e1f30</SignedOid>\
        <SignedTid>72f988bf-86f1-41af-91ab-2d7cd011db47</SignedTid><SignedStart>2026-11-20T09:00:00Z</SignedStart>\
        <SignedExpiry>2026-11-20T17:00:00Z</SignedExpiry><SignedService>b</SignedService><SignedVersion>2025-05-05</SignedVersion>\
        <Value>9r3QxU1bLZ8Zv6p0CwD4Jk2mN7sTq5yHfE1gA8uXo0c=</Value></UserDelegationKey>
        """

    @Test func decodesAUserDelegationKey() throws {
        let key = try BlobXML.userDelegationKey(Array(Self.delegationKeyReply.utf8))
        #expect(
            key
                == UserDelegationKeyReply(
                    signedObjectID: "6d8b5a42-41e4-4a5c-9f64-0b7d2d8e1f30",
                    signedTenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47",
                    signedStart: "2026-11-20T09:00:00Z",
                    signedExpiry: "2026-11-20T17:00:00Z",
                    signedService: "b",
                    signedVersion: "2025-05-05",
                    value: "9r3QxU1bLZ8Zv6p0CwD4Jk2mN7sTq5yHfE1gA8uXo0c="
                )
        )
        #expect(Base64.decode(key.value)?.count == 32)
    }

    @Test func userDelegationKeysPrintRedacted() throws {
        let key = try BlobXML.userDelegationKey(Array(Self.delegationKeyReply.utf8))
        for text in [key.description, "\(key)", String(reflecting: key), Self.dumped(key)] {
            #expect(!text.contains("9r3QxU1b"))
            #expect(text.contains("REDACTED"))
            #expect(text.contains("72f988bf-86f1-41af-91ab-2d7cd011db47"))
        }
    }

    private static func dumped(_ value: some Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }

    @Test(arguments: [
        "SignedOid", "SignedTid", "SignedStart", "SignedExpiry", "SignedService", "SignedVersion", "Value",
    ])
    func userDelegationKeyFieldsAreRequired(field: String) {
        let start = Self.delegationKeyReply.firstRange(of: "<\(field)>")!.lowerBound
        let end = Self.delegationKeyReply.firstRange(of: "</\(field)>")!.upperBound
        var body = Self.delegationKeyReply
        body.removeSubrange(start..<end)
        let error = StorageDecodingError.caught { try BlobXML.userDelegationKey(Array(body.utf8)) }
        #expect(error?.message == "missing <\(field)> in <UserDelegationKey>")
    }

    @Test func aNonBase64KeyIsRefusedWithoutQuotingIt() {
        let body = Self.delegationKeyReply.replacingFirst(
            "9r3QxU1bLZ8Zv6p0CwD4Jk2mN7sTq5yHfE1gA8uXo0c=",
            with: "secret-but-not-base64"
        )
        let error = StorageDecodingError.caught { try BlobXML.userDelegationKey(Array(body.utf8)) }
        #expect(error?.code == .invalidValue)
        #expect(error?.message.contains("<Value>") == true)
        #expect(error?.message.contains("secret") == false)
    }

    @Test func writesTheKeyInfoBody() throws {
        let body = BlobXML.userDelegationKeyRequestBody(start: "2026-11-20T09:00:00Z", expiry: "2026-11-20T17:00:00Z")
        #expect(
            String(decoding: body, as: UTF8.self)
                == "<?xml version=\"1.0\" encoding=\"utf-8\"?><KeyInfo><Start>2026-11-20T09:00:00Z</Start>"
                + "<Expiry>2026-11-20T17:00:00Z</Expiry></KeyInfo>"
        )
    }

    // MARK: Error bodies

    @Test func decodesTheQueueNotFoundFixture() throws {
        let details = BlobXML.errorDetails(try XMLReplyFixtures.load("queue-xml/error-queue-not-found.xml"))
        #expect(
            details
                == StorageErrorDetails(
                    code: "QueueNotFound",
                    message: "The specified queue does not exist.",
                    extra: [:]
                )
        )
    }

    @Test func keepsExtraErrorDetails() {
        let body = """
            <?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate \
            the request. Make sure the value of Authorization header is formed correctly including the signature.
            RequestId:0c3e7a5b-e01e-0042-4f2a-1a2b3c000000
            Time:2026-11-20T09:15:45.1234567Z</Message><AuthenticationErrorDetail>The MAC signature found in the HTTP request \
            'abc' is not the same as any computed signature.</AuthenticationErrorDetail></Error>
            """
        let details = BlobXML.errorDetails(Array(body.utf8))
        #expect(details?.code == "AuthenticationFailed")
        #expect(
            details?.message
                == "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature."
        )
        #expect(
            details?.extra == [
                "AuthenticationErrorDetail":
                    "The MAC signature found in the HTTP request 'abc' is not the same as any computed signature."
            ]
        )
    }

    @Test func keepsQueryParameterDetails() {
        let body = """
            <?xml version="1.0" encoding="utf-8"?><Error><Code>OutOfRangeQueryParameterValue</Code><Message>One of the query \
            parameters specified in the request URI is outside the permissible range.\r
            RequestId:6c3a5f9e-b003-0051-7e2f-1a2b3c000001\r
            Time:2026-11-20T09:15:45.0000000Z</Message><QueryParameterName>numofmessages</QueryParameterName>\
            <QueryParameterValue>33</QueryParameterValue><MinimumAllowed>1</MinimumAllowed><MaximumAllowed>32</MaximumAllowed></Error>
            """
        let details = BlobXML.errorDetails(Array(body.utf8))
        #expect(
            details?.message
                == "One of the query parameters specified in the request URI is outside the permissible range."
        )
        #expect(
            details?.extra
                == [
                    "QueryParameterName": "numofmessages", "QueryParameterValue": "33", "MinimumAllowed": "1",
                    "MaximumAllowed": "32",
                ]
        )
    }

    @Test func toleratesSparseErrorBodies() {
        #expect(BlobXML.errorDetails(Array("<Error/>".utf8)) == StorageErrorDetails(code: nil, message: nil))
        #expect(
            BlobXML.errorDetails(Array("<Error><Code>ServerBusy</Code></Error>".utf8))
                == StorageErrorDetails(code: "ServerBusy", message: nil)
        )
        #expect(
            BlobXML.errorDetails(Array("<Error><Message>\nRequestId:x\nTime:y</Message></Error>".utf8))
                == StorageErrorDetails(code: nil, message: nil)
        )
        #expect(BlobXML.errorDetails(Array("<Error><Message>only</Message></Error>".utf8))?.message == "only")
    }

    @Test(arguments: [
        "", " ", "not xml", "{\"odata.error\":{\"code\":\"x\"}}", "<html><body>502 Bad Gateway</body></html>",
        "<?xml version=\"1.0\"?><Error><Code>X</Code>", "<QueueMessagesList />", "\u{0}\u{0}\u{0}",
    ])
    func errorDetailsAreNilForUselessBodies(body: String) {
        #expect(BlobXML.errorDetails(Array(body.utf8)) == nil)
    }
}

extension String {
    /// This string with the first occurrence of `target` replaced.
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        self.replacing(target, with: replacement, maxReplacements: 1)
    }
}
