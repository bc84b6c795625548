import StorageCore
internal import StorageXML

/// Decoding and encoding of the Blob service's XML bodies, plus the `<Error>` body every
/// Azure Storage service sends with a failure.
enum BlobXML {
    /// Largest error body worth parsing; real ones are a few hundred bytes.
    static let maxErrorBodyBytes = 64 * 1024

    // MARK: List Blobs

    /// One page of a List Blobs reply (`<EnumerationResults>`).
    ///
    /// Names sent with `Encoded="true"` (those holding characters XML cannot carry) are
    /// percent-decoded. `Content-Length` and `Etag` are required; other properties are nil when
    /// absent or empty, except that a date present but unreadable is an error.
    static func listPage(_ body: [UInt8]) throws(StorageDecodingError) -> BlobListPage {
        let root = try XMLReply.root(body, named: "EnumerationResults")
        guard let blobsElement = root.child("Blobs") else { throw .missingElement("Blobs", in: root.name) }
        var blobs: [BlobListItem] = []
        var prefixes: [String] = []
        for element in blobsElement.children {
            switch element.name {
            case "Blob":
                blobs.append(try Self.listItem(element))
            case "BlobPrefix":
                prefixes.append(try XMLReply.name(in: element))
            default:
                continue
            }
        }
        return BlobListPage(blobs: blobs, prefixes: prefixes, nextMarker: XMLReply.optionalText("NextMarker", in: root))
    }

    private static func listItem(_ element: XMLElement) throws(StorageDecodingError) -> BlobListItem {
        let name = try XMLReply.name(in: element)
        guard let properties = element.child("Properties") else {
            throw .missingElement("Properties", in: element.name)
        }
        var metadata: [String: String] = [:]
        for entry in element.child("Metadata")?.children ?? [] where entry.name != "x-ms-invalid-name" {
            if metadata[entry.name] == nil { metadata[entry.name] = entry.text }
        }
        return BlobListItem(
            name: name,
            properties: BlobProperties(
                contentLength: try XMLReply.count("Content-Length", in: properties),
                contentType: XMLReply.optionalText("Content-Type", in: properties),
                contentMD5: XMLReply.optionalText("Content-MD5", in: properties).flatMap { Base64.decode($0) },
                eTag: try XMLReply.nonEmptyText("Etag", in: properties),
                lastModified: try XMLReply.optionalRFC1123Date("Last-Modified", in: properties),
                creationTime: try XMLReply.optionalRFC1123Date("Creation-Time", in: properties),
                blobType: XMLReply.optionalText("BlobType", in: properties),
                contentEncoding: XMLReply.optionalText("Content-Encoding", in: properties),
                contentLanguage: XMLReply.optionalText("Content-Language", in: properties),
                cacheControl: XMLReply.optionalText("Cache-Control", in: properties),
                contentDisposition: XMLReply.optionalText("Content-Disposition", in: properties),
                metadata: metadata
            )
        )
    }

    // MARK: Block lists

    /// A Get Block List reply; either section may be absent, depending on `blocklisttype`.
    static func blockList(_ body: [UInt8]) throws(StorageDecodingError) -> BlockList {
        let root = try XMLReply.root(body, named: "BlockList")
        return BlockList(
            committed: try Self.blocks(in: root.child("CommittedBlocks")),
            uncommitted: try Self.blocks(in: root.child("UncommittedBlocks"))
        )
    }

    private static func blocks(in section: XMLElement?) throws(StorageDecodingError) -> [BlockListEntry] {
        guard let section else { return [] }
        var entries: [BlockListEntry] = []
        for block in section.children(named: "Block") {
            entries.append(
                BlockListEntry(
                    id: try XMLReply.nonEmptyText("Name", in: block),
                    size: try XMLReply.count("Size", in: block)
                )
            )
        }
        return entries
    }

    /// The Put Block List request body committing `ids`, in order, each from the latest upload.
    static func blockListBody(latest ids: [String]) -> [UInt8] {
        var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>"
        for id in ids {
            xml += "<Latest>" + XMLEscaping.escape(id) + "</Latest>"
        }
        xml += "</BlockList>"
        return Array(xml.utf8)
    }

    // MARK: User delegation keys

    /// A Get User Delegation Key reply; every field is required and `Value` must be base64.
    static func userDelegationKey(_ body: [UInt8]) throws(StorageDecodingError) -> UserDelegationKeyReply {
        let root = try XMLReply.root(body, named: "UserDelegationKey")
        return UserDelegationKeyReply(
            signedObjectID: try XMLReply.nonEmptyText("SignedOid", in: root),
            signedTenantID: try XMLReply.nonEmptyText("SignedTid", in: root),
            signedStart: try XMLReply.nonEmptyText("SignedStart", in: root),
            signedExpiry: try XMLReply.nonEmptyText("SignedExpiry", in: root),
            signedService: try XMLReply.nonEmptyText("SignedService", in: root),
            signedVersion: try XMLReply.nonEmptyText("SignedVersion", in: root),
            value: try Self.delegationKeyValue(in: root)
        )
    }

    /// The key's `<Value>`, checked to be base64; errors never quote it, since it is a secret.
    private static func delegationKeyValue(in root: XMLElement) throws(StorageDecodingError) -> String {
        let value = try XMLReply.nonEmptyText("Value", in: root)
        guard Base64.decode(value) != nil else {
            throw .invalidValue("Value", in: root.name, value: "(not shown)", expected: "base64")
        }
        return value
    }

    /// The Get User Delegation Key request body; `start` and `expiry` are ISO 8601 UTC times.
    static func userDelegationKeyRequestBody(start: String, expiry: String) -> [UInt8] {
        let xml =
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><KeyInfo><Start>" + XMLEscaping.escape(start)
            + "</Start><Expiry>" + XMLEscaping.escape(expiry) + "</Expiry></KeyInfo>"
        return Array(xml.utf8)
    }

    // MARK: Errors

    /// The details of an Azure Storage `<Error>` body, or nil when the body is empty, is not XML,
    /// or is not an `<Error>` document. Never throws: a failure reply must stay reportable even
    /// when its body is useless.
    static func errorDetails(_ body: [UInt8]) -> StorageErrorDetails? {
        guard !body.isEmpty,
            let root = try? XMLReply.root(body, named: "Error", maxBytes: Self.maxErrorBodyBytes)
        else { return nil }
        var extra: [String: String] = [:]
        for child in root.children where child.name != "Code" && child.name != "Message" {
            if extra[child.name] == nil { extra[child.name] = child.text }
        }
        return StorageErrorDetails(
            code: XMLReply.optionalText("Code", in: root),
            message: XMLReply.optionalText("Message", in: root).flatMap(Self.firstMessageLine),
            extra: extra
        )
    }

    /// The first line of an error message that is not one of the `RequestId:`/`Time:` lines
    /// Azure appends.
    private static func firstMessageLine(_ message: String) -> String? {
        let lines = message.unicodeScalars.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r" }
        for line in lines {
            let text = String(String.UnicodeScalarView(line))
            let trimmed = text.drop { $0 == " " || $0 == "\t" }
            guard !trimmed.isEmpty, !trimmed.hasPrefix("RequestId:"), !trimmed.hasPrefix("Time:") else { continue }
            return text
        }
        return nil
    }
}
