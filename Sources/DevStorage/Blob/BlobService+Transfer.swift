import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StorageAuth
import StorageCore
import StorageXML

extension BlobService {
    // MARK: Writes

    func putBlob(
        _ request: StorageRequest,
        container: String,
        blob: String,
        body: RequestBody
    ) async throws(StorageServiceError) -> Response {
        guard let blobType = request.header("x-ms-blob-type") else { throw .missingHeader("x-ms-blob-type") }
        guard blobType == "BlockBlob" else {
            throw .invalidHeader("x-ms-blob-type", "\(blobType) (the development server stores block blobs only)")
        }
        try Self.checkDeclaredLength(request, limit: Self.maxPutBlobBytes)
        let tier = try AccessTier.requested(request)
        // Fail before reading a large body when the container is missing.
        _ = try self.store.container(account: request.account, name: container)
        let written = try await self.store.extents.write(body, maxBytes: Self.maxPutBlobBytes)
        let computedMD5 = Base64.encode(written.md5)
        if let sent = request.header("content-md5"), sent != computedMD5 {
            self.store.extents.remove([written.name])
            throw .md5Mismatch
        }
        var properties = Self.httpProperties(request, blobPrefixed: false)
        properties.contentMD5 = properties.contentMD5 ?? computedMD5
        let metadata = request.metadata
        let record: BlobRecord
        do {
            record = try self.store.commit(
                account: request.account,
                container: container,
                name: blob,
                conditions: BlobConditions(request)
            ) {
                (_: BlobRecord?) throws(StorageServiceError) -> BlobRecord in
                BlobRecord(
                    name: blob,
                    isCommitted: true,
                    created: StorageDate.now(),
                    lastModified: StorageDate.now(),
                    etag: "",
                    properties: properties,
                    metadata: metadata,
                    blocks: [BlockReference(id: "", size: written.size, extent: written.name)],
                    uncommitted: [],
                    tier: tier,
                    tierChangeTime: tier.map { _ in StorageDate.now() }
                )
            }
        } catch {
            self.store.extents.remove([written.name])
            throw error
        }
        self.events.blobCommitted(request: request, container: container, record: record, api: "PutBlob")
        var headers = Self.writeHeaders(record)
        headers[HTTPField.Name("Content-MD5")!] = computedMD5
        return StorageResponse.empty(.created, request, headers: headers)
    }

    func putBlock(
        _ request: StorageRequest,
        container: String,
        blob: String,
        body: RequestBody
    ) async throws(StorageServiceError) -> Response {
        guard let blockID = request.query("blockid"), !blockID.isEmpty else { throw .missingQuery("blockid") }
        guard let decoded = Base64.decode(blockID), decoded.count <= 64 else { throw .invalidBlockId(blockID) }
        try Self.checkDeclaredLength(request, limit: Self.maxBlockBytes)
        _ = try self.store.container(account: request.account, name: container)
        let written = try await self.store.extents.write(body, maxBytes: Self.maxBlockBytes)
        let computedMD5 = Base64.encode(written.md5)
        if let sent = request.header("content-md5"), sent != computedMD5 {
            self.store.extents.remove([written.name])
            throw .md5Mismatch
        }
        do {
            try self.store.stageBlock(
                account: request.account,
                container: container,
                name: blob,
                block: BlockReference(id: blockID, size: written.size, extent: written.name)
            )
        } catch {
            self.store.extents.remove([written.name])
            throw error
        }
        var headers = HTTPFields()
        headers[HTTPField.Name("Content-MD5")!] = computedMD5
        headers[HTTPField.Name("x-ms-request-server-encrypted")!] = "true"
        return StorageResponse.empty(.created, request, headers: headers)
    }

    func putBlockList(
        _ request: StorageRequest,
        container: String,
        blob: String,
        body: RequestBody
    ) async throws(StorageServiceError) -> Response {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: 16 * 1024 * 1024)
        } catch {
            throw .requestBodyTooLarge
        }
        if let sent = request.header("content-md5") {
            let md5 = Base64.encode(Array(Insecure_MD5.digest(Array(buffer.readableBytesView))))
            guard md5 == sent else { throw .md5Mismatch }
        }
        let root: XMLElement
        do {
            root = try XMLDocumentParser.parse(Array(buffer.readableBytesView), maxBytes: 16 * 1024 * 1024)
        } catch {
            throw .invalidXML(error.message)
        }
        guard root.name == "BlockList" else { throw .invalidXML("The root element must be <BlockList>.") }
        var wanted: [(kind: String, id: String)] = []
        for child in root.children {
            guard ["Committed", "Uncommitted", "Latest"].contains(child.name) else {
                throw .invalidXML("Unexpected element <\(child.name)> in <BlockList>.")
            }
            wanted.append((child.name, child.text))
        }
        guard wanted.count <= 50_000 else { throw .invalidBlockList }
        let tier = try AccessTier.requested(request)
        var properties = Self.httpProperties(request, blobPrefixed: true)
        properties.contentMD5 = request.header("x-ms-blob-content-md5")
        let metadata = request.metadata
        let record = try self.store.commit(
            account: request.account,
            container: container,
            name: blob,
            conditions: BlobConditions(request)
        ) {
            (existing: BlobRecord?) throws(StorageServiceError) -> BlobRecord in
            let committed = existing?.isCommitted == true ? existing!.blocks.filter { !$0.id.isEmpty } : []
            let uncommitted = existing?.uncommitted ?? []
            var blocks: [BlockReference] = []
            for entry in wanted {
                let found: BlockReference?
                switch entry.kind {
                case "Committed": found = committed.last { $0.id == entry.id }
                case "Uncommitted": found = uncommitted.last { $0.id == entry.id }
                default: found = uncommitted.last { $0.id == entry.id } ?? committed.last { $0.id == entry.id }
                }
                guard let found else { throw .invalidBlockList }
                blocks.append(found)
            }
            return BlobRecord(
                name: blob,
                isCommitted: true,
                created: StorageDate.now(),
                lastModified: StorageDate.now(),
                etag: "",
                properties: properties,
                metadata: metadata,
                blocks: blocks,
                uncommitted: [],
                tier: tier,
                tierChangeTime: tier.map { _ in StorageDate.now() }
            )
        }
        self.events.blobCommitted(request: request, container: container, record: record, api: "PutBlockList")
        return StorageResponse.empty(.created, request, headers: Self.writeHeaders(record))
    }

    func getBlockList(
        _ request: StorageRequest,
        container: String,
        blob: String
    ) throws(StorageServiceError) -> Response {
        let type = (request.query("blocklisttype") ?? "committed").lowercased()
        guard ["committed", "uncommitted", "all"].contains(type) else { throw .invalidQuery("blocklisttype", type) }
        guard let record = try self.store.record(account: request.account, container: container, name: blob) else {
            throw .blobNotFound
        }
        var xml = XMLBuilder()
        xml.open("BlockList")
        if type != "uncommitted" {
            xml.open("CommittedBlocks")
            for block in record.blocks where !block.id.isEmpty {
                xml.open("Block")
                xml.element("Name", block.id)
                xml.element("Size", block.size)
                xml.close("Block")
            }
            xml.close("CommittedBlocks")
        }
        if type != "committed" {
            xml.open("UncommittedBlocks")
            for block in record.uncommitted {
                xml.open("Block")
                xml.element("Name", block.id)
                xml.element("Size", block.size)
                xml.close("Block")
            }
            xml.close("UncommittedBlocks")
        }
        xml.close("BlockList")
        var headers = HTTPFields()
        if record.isCommitted {
            headers[.eTag] = record.quotedETag
            headers[.lastModified] = record.lastModified.rfc1123
        }
        headers[HTTPField.Name("x-ms-blob-content-length")!] = String(record.size)
        return StorageResponse.xml(.ok, request, xml.text, headers: headers)
    }

    /// Copy Blob (asynchronous in Azure, completed at once here: 202) and Put Blob From URL
    /// (synchronous: 201). Both raise a BlobCreated event as the commit they are.
    func copyBlob(
        _ request: StorageRequest,
        container: String,
        blob: String,
        synchronous: Bool
    ) throws(StorageServiceError) -> Response {
        let sourceURL = request.header("x-ms-copy-source") ?? ""
        let source = try self.resolveCopySource(sourceURL, destinationAccount: request.account)
        let sourceRecord: BlobRecord
        do {
            sourceRecord = try self.store.blob(account: source.account, container: source.container, name: source.blob)
        } catch {
            throw .cannotVerifyCopySource
        }
        // The destination takes the tier the request names, else the account default (inferred
        // Hot); the source's tier is not carried. An archived source is offline: only Copy Blob to
        // a named tier reads it (rehydration by copy, immediate here); Put Blob From URL cannot.
        let tier = try AccessTier.requested(request)
        if sourceRecord.isArchived, synchronous || tier == nil { throw .blobArchived }
        let requestMetadata = request.metadata
        var properties = sourceRecord.properties
        if synchronous {
            // Put Blob From URL sets the destination's properties from its own headers.
            properties = Self.httpProperties(request, blobPrefixed: true)
            properties.contentMD5 = sourceRecord.properties.contentMD5
        }
        let copyID = UUIDText.random()
        let record = try self.store.commit(
            account: request.account,
            container: container,
            name: blob,
            conditions: BlobConditions(request)
        ) {
            (_: BlobRecord?) throws(StorageServiceError) -> BlobRecord in
            BlobRecord(
                name: blob,
                isCommitted: true,
                created: StorageDate.now(),
                lastModified: StorageDate.now(),
                etag: "",
                properties: properties,
                metadata: requestMetadata.isEmpty || synchronous ? sourceRecord.metadata : requestMetadata,
                blocks: sourceRecord.blocks,
                uncommitted: [],
                copy: .init(
                    id: copyID,
                    source: SecretRedaction.redactQuery(sourceURL),
                    completed: StorageDate.now(),
                    bytes: sourceRecord.size
                ),
                tier: tier,
                tierChangeTime: tier.map { _ in StorageDate.now() }
            )
        }
        self.events.blobCommitted(
            request: request,
            container: container,
            record: record,
            api: synchronous ? "PutBlob" : "CopyBlob"
        )
        var headers = Self.writeHeaders(record)
        if synchronous {
            if let md5 = record.properties.contentMD5 { headers[HTTPField.Name("Content-MD5")!] = md5 }
            return StorageResponse.empty(.created, request, headers: headers)
        }
        headers[HTTPField.Name("x-ms-copy-id")!] = copyID
        headers[HTTPField.Name("x-ms-copy-status")!] = "success"
        return StorageResponse.empty(.accepted, request, headers: headers)
    }

    /// Finds the blob a copy source URL names on this server and checks the right to read it:
    /// a SAS in the URL, the same account as the destination, or a public container.
    private func resolveCopySource(
        _ url: String,
        destinationAccount: String
    ) throws(StorageServiceError) -> (account: String, container: String, blob: String) {
        guard let schemeEnd = url.range(of: "://") else {
            throw .invalidHeader("x-ms-copy-source", SecretRedaction.redactQuery(url))
        }
        let afterScheme = url[schemeEnd.upperBound...]
        guard let pathStart = afterScheme.firstIndex(of: "/") else {
            throw .invalidHeader("x-ms-copy-source", SecretRedaction.redactQuery(url))
        }
        let target = afterScheme[pathStart...]
        let pathPart = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let query =
            target.contains("?") ? PercentEncoding.queryItems(target.split(separator: "?", maxSplits: 1)[1]) : []
        // `https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB` (what the Azure CLI and the SDKs
        // build from an account name) names a served account by its host: the path then starts
        // at the container. Any other host is taken as this server, path-style.
        let host = afterScheme[..<pathStart]
        let hostAccount = ProductionHost.account(inHost: host, service: .blob)
        let segments = pathPart.split(
            separator: "/",
            maxSplits: hostAccount == nil ? 2 : 1,
            omittingEmptySubsequences: true
        )
        let names = (hostAccount.map { [$0] } ?? []) + segments.map { PercentEncoding.decode($0) }
        guard names.count == 3, let account = names[0], let container = names[1], let blob = names[2]
        else { throw .invalidHeader("x-ms-copy-source", SecretRedaction.redactQuery(url)) }
        guard self.authorizer.hasAccount(account) else { throw .cannotVerifyCopySource }
        if let sas = SharedAccessSignature(query: query) {
            guard self.authorizer.isValidReadSAS(sas, account: account, container: container, blob: blob) else {
                throw .cannotVerifyCopySource
            }
        } else if account != destinationAccount, self.store.publicAccess(account: account, container: container) == nil
        {
            throw .cannotVerifyCopySource
        }
        return (account, container, blob)
    }

    private static func checkDeclaredLength(_ request: StorageRequest, limit: Int64) throws(StorageServiceError) {
        guard request.header("content-length") != nil else {
            throw .init(.lengthRequired, "MissingContentLengthHeader", "Content-Length HTTP header is missing.")
        }
        if let text = request.header("content-length"), let length = Int64(text), length > limit {
            throw .requestBodyTooLarge
        }
    }

    // MARK: Reads

    func getBlob(
        _ request: StorageRequest,
        container: String,
        blob: String,
        operation: String
    ) async throws(StorageServiceError) -> Response {
        // The server keeps no snapshots or versions, so any named one does not exist.
        if request.query("snapshot") != nil || request.query("versionid") != nil { throw .blobNotFound }
        // The pin keeps this version's bytes until the response is written, whatever overwrites
        // or deletes the blob meanwhile.
        let (record, pin) = try self.store.blobForReading(account: request.account, container: container, name: blob)
        if operation == "GetBlob", record.isArchived { throw .blobArchived }
        if try BlobConditions(request).checkRead(etag: record.etag, lastModified: record.lastModified) == .notModified {
            var headers = Self.writeHeaders(record)
            headers[HTTPField.Name("x-ms-request-server-encrypted")!] = nil
            headers[.xMsErrorCode] = "ConditionNotMet"
            var response = StorageResponse.empty(.notModified, request, headers: headers)
            response.headers[.contentLength] = nil
            return response
        }
        var headers = Self.readHeaders(record)
        Self.applySASOverrides(request, to: &headers)
        if operation == "GetBlobMetadata" {
            return StorageResponse.empty(.ok, request, headers: headers)
        }
        let size = record.size
        var range: Range<Int64> = 0..<size
        var status: HTTPResponse.Status = .ok
        if let requested = try Self.requestedRange(request) {
            guard requested.start < size else { throw .invalidRange(blobSize: size) }
            let end = min(requested.end ?? (size - 1), size - 1)
            range = requested.start..<(end + 1)
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(end)/\(size)"
            if let md5 = record.properties.contentMD5 {
                headers[HTTPField.Name("x-ms-blob-content-md5")!] = md5
            }
            headers[HTTPField.Name("Content-MD5")!] = nil
            if request.header("x-ms-range-get-content-md5")?.lowercased() == "true" {
                guard range.count <= 4 * 1024 * 1024 else {
                    throw .init(
                        .badRequest,
                        "OutOfRangeInput",
                        "The range for x-ms-range-get-content-md5 must be 4 MiB or less."
                    )
                }
                do {
                    let md5 = try await self.store.extents.md5(record.blocks, range: range)
                    headers[HTTPField.Name("Content-MD5")!] = Base64.encode(md5)
                } catch {
                    throw .internalError("Could not read the blob: \(error)")
                }
            }
        }
        headers[.contentLength] = String(range.count)
        var response = StorageResponse.empty(status, request, headers: headers)
        if request.method == .get, !range.isEmpty {
            let extents = self.store.extents
            let blocks = record.blocks
            let range = range
            response.body = ResponseBody(contentLength: Int(range.count)) { writer in
                defer { pin.release() }
                try await extents.stream(blocks, range: range, to: &writer)
                try await writer.finish(nil)
            }
        } else {
            pin.release()
        }
        return response
    }

    /// `x-ms-range` (preferred) or `Range`: `bytes=START-[END]`. A malformed x-ms-range is an error;
    /// a malformed Range is ignored, as HTTP allows.
    private static func requestedRange(
        _ request: StorageRequest
    ) throws(StorageServiceError) -> (start: Int64, end: Int64?)? {
        let (header, value): (String, String)
        if let msRange = request.header("x-ms-range") {
            (header, value) = ("x-ms-range", msRange)
        } else if let range = request.header("range") {
            (header, value) = ("range", range)
        } else {
            return nil
        }
        guard value.hasPrefix("bytes=") else {
            if header == "x-ms-range" { throw .invalidHeader(header, value) }
            return nil
        }
        let parts = value.dropFirst("bytes=".count).split(
            separator: "-",
            maxSplits: 1,
            omittingEmptySubsequences: false
        )
        guard parts.count == 2, let start = Int64(parts[0]), start >= 0 else {
            if header == "x-ms-range" { throw .invalidHeader(header, value) }
            return nil
        }
        if parts[1].isEmpty { return (start, nil) }
        guard let end = Int64(parts[1]), end >= start else {
            if header == "x-ms-range" { throw .invalidHeader(header, value) }
            return nil
        }
        return (start, end)
    }

    /// A SAS may override response headers (`rscc`, `rscd`, `rsce`, `rscl`, `rsct`).
    static func applySASOverrides(_ request: StorageRequest, to headers: inout HTTPFields) {
        guard request.header("authorization") == nil, let sas = SharedAccessSignature(query: request.query) else {
            return
        }
        if let value = sas.cacheControl { headers[.cacheControl] = value }
        if let value = sas.contentDisposition { headers[.contentDisposition] = value }
        if let value = sas.contentEncoding { headers[.contentEncoding] = value }
        if let value = sas.contentLanguage { headers[.contentLanguage] = value }
        if let value = sas.contentType { headers[.contentType] = value }
    }

    static func readHeaders(_ record: BlobRecord) -> HTTPFields {
        var headers = HTTPFields()
        headers[.eTag] = record.quotedETag
        headers[.lastModified] = record.lastModified.rfc1123
        headers[.contentType] = record.properties.contentType ?? "application/octet-stream"
        if let value = record.properties.contentMD5 { headers[HTTPField.Name("Content-MD5")!] = value }
        if let value = record.properties.contentEncoding { headers[.contentEncoding] = value }
        if let value = record.properties.contentLanguage { headers[.contentLanguage] = value }
        if let value = record.properties.contentDisposition { headers[.contentDisposition] = value }
        if let value = record.properties.cacheControl { headers[.cacheControl] = value }
        headers[.acceptRanges] = "bytes"
        headers[.contentLength] = String(record.size)
        headers[HTTPField.Name("x-ms-blob-type")!] = "BlockBlob"
        headers[HTTPField.Name("x-ms-creation-time")!] = record.created.rfc1123
        headers[HTTPField.Name("x-ms-lease-state")!] = "available"
        headers[HTTPField.Name("x-ms-lease-status")!] = "unlocked"
        headers[HTTPField.Name("x-ms-server-encrypted")!] = "true"
        headers[HTTPField.Name("x-ms-access-tier")!] = record.effectiveTier.rawValue
        if record.tier == nil { headers[HTTPField.Name("x-ms-access-tier-inferred")!] = "true" }
        if let changed = record.tierChangeTime {
            headers[HTTPField.Name("x-ms-access-tier-change-time")!] = changed.rfc1123
        }
        if let copy = record.copy {
            headers[HTTPField.Name("x-ms-copy-id")!] = copy.id
            headers[HTTPField.Name("x-ms-copy-source")!] = copy.source
            headers[HTTPField.Name("x-ms-copy-status")!] = "success"
            headers[HTTPField.Name("x-ms-copy-progress")!] = "\(copy.bytes)/\(copy.bytes)"
            headers[HTTPField.Name("x-ms-copy-completion-time")!] = copy.completed.rfc1123
        }
        for (key, value) in record.metadata.sorted(by: { $0.key < $1.key }) {
            if let name = HTTPField.Name("x-ms-meta-" + key) { headers[name] = value }
        }
        return headers
    }
}

enum Insecure_MD5 {
    static func digest(_ bytes: [UInt8]) -> [UInt8] { Array(Insecure.MD5.hash(data: bytes)) }
}
