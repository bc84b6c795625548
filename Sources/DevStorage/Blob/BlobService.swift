import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StorageCore
import StorageXML

/// The Blob REST API over a ``BlobStore``.
struct BlobService: Sendable {
    let store: BlobStore
    let authorizer: RequestAuthorizer
    let events: EventGridEmulator
    let endpoint: @Sendable (String) -> String

    static let maxPutBlobBytes: Int64 = 5000 * 1024 * 1024
    static let maxBlockBytes: Int64 = 4000 * 1024 * 1024

    /// Azure's REST operation name for a request, used in logs and fault plans.
    static func operationName(_ request: StorageRequest) -> String {
        let comp = request.query("comp")
        let restype = request.query("restype")
        let method = request.method
        guard request.resourceName != nil else {
            switch (method, restype, comp) {
            case (.get, _, "list"): return "ListContainers"
            case (.get, "service", "properties"): return "GetBlobServiceProperties"
            case (.put, "service", "properties"): return "SetBlobServiceProperties"
            case (.get, "account", "properties"), (.head, "account", "properties"): return "GetAccountInformation"
            case (.post, "service", "userdelegationkey"): return UserDelegationKeyOperation.name
            default: return UnsupportedOperation.logName(request)
            }
        }
        guard request.subPath != nil else {
            switch (method, comp) {
            case (.get, "list"): return "ListBlobs"
            case (.put, "metadata"): return "SetContainerMetadata"
            case (.get, "metadata"), (.head, "metadata"): return "GetContainerMetadata"
            case (.get, "acl"), (.head, "acl"): return "GetContainerACL"
            case (.put, "acl"): return "SetContainerACL"
            case (.put, nil): return "CreateContainer"
            case (.get, nil), (.head, nil): return "GetContainerProperties"
            case (.delete, nil): return "DeleteContainer"
            default: return UnsupportedOperation.logName(request)
            }
        }
        switch (method, comp) {
        case (.put, "block"): return "PutBlock"
        case (.put, "blocklist"): return "PutBlockList"
        case (.get, "blocklist"): return "GetBlockList"
        case (.put, "metadata"): return "SetBlobMetadata"
        case (.get, "metadata"), (.head, "metadata"): return "GetBlobMetadata"
        case (.put, "properties"): return "SetBlobProperties"
        case (.put, "tier"): return "SetBlobTier"
        case (.put, nil):
            guard request.header("x-ms-copy-source") != nil else { return "PutBlob" }
            return request.header("x-ms-blob-type") != nil ? "PutBlobFromURL" : "CopyBlob"
        case (.get, nil): return "GetBlob"
        case (.head, nil): return "GetBlobProperties"
        case (.delete, nil): return "DeleteBlob"
        default: return UnsupportedOperation.logName(request)
        }
    }

    func handle(
        _ request: StorageRequest,
        operation: String,
        body: RequestBody
    ) async throws(StorageServiceError) -> Response {
        guard let container = request.resourceName else {
            if operation == UserDelegationKeyOperation.name {
                return try await UserDelegationKeyOperation.respond(
                    to: request,
                    body: body,
                    authorizer: self.authorizer
                )
            }
            return try self.handleService(request, operation: operation)
        }
        guard let blob = request.subPath else {
            return try self.handleContainer(request, container: container, operation: operation)
        }
        guard blob.utf8.count <= 1024 else { throw .invalidResourceName("Blob names are at most 1,024 characters.") }
        try Self.validateMetadataNames(request)
        let publicAccess = self.store.publicAccess(account: request.account, container: container)
        switch operation {
        case "PutBlob":
            try self.authorizer.authorize(request, requirement: .object(["w", "c"]))
            return try await self.putBlob(request, container: container, blob: blob, body: body)
        case "PutBlock":
            try self.authorizer.authorize(request, requirement: .object(["w"]))
            return try await self.putBlock(request, container: container, blob: blob, body: body)
        case "PutBlockList":
            try self.authorizer.authorize(request, requirement: .object(["w"]))
            return try await self.putBlockList(request, container: container, blob: blob, body: body)
        case "GetBlockList":
            try self.authorizer.authorize(request, requirement: .object(["r"]))
            return try self.getBlockList(request, container: container, blob: blob)
        case "CopyBlob", "PutBlobFromURL":
            try self.authorizer.authorize(request, requirement: .object(["w", "c"]))
            return try self.copyBlob(
                request,
                container: container,
                blob: blob,
                synchronous: operation == "PutBlobFromURL"
            )
        case "GetBlob", "GetBlobProperties", "GetBlobMetadata":
            try self.authorizer.authorize(
                request,
                requirement: .object(["r"], publicAccess: .blobRead),
                publicAccess: publicAccess
            )
            return try await self.getBlob(request, container: container, blob: blob, operation: operation)
        case "SetBlobMetadata":
            try self.authorizer.authorize(request, requirement: .object(["w"]))
            let metadata = request.metadata
            let record = try self.store.update(
                account: request.account,
                container: container,
                name: blob,
                conditions: BlobConditions(request)
            ) {
                (record: inout BlobRecord) throws(StorageServiceError) in
                guard !record.isArchived else { throw .blobArchived }
                record.metadata = metadata
            }
            return StorageResponse.empty(.ok, request, headers: Self.writeHeaders(record))
        case "SetBlobProperties":
            try self.authorizer.authorize(request, requirement: .object(["w"]))
            let properties = Self.httpProperties(request, blobPrefixed: true)
            let record = try self.store.update(
                account: request.account,
                container: container,
                name: blob,
                conditions: BlobConditions(request)
            ) {
                (record: inout BlobRecord) throws(StorageServiceError) in
                guard !record.isArchived else { throw .blobArchived }
                record.properties = properties
            }
            return StorageResponse.empty(.ok, request, headers: Self.writeHeaders(record))
        case "SetBlobTier":
            try self.authorizer.authorize(request, requirement: .object(["w"]))
            return try self.setBlobTier(request, container: container, blob: blob)
        case "DeleteBlob":
            try self.authorizer.authorize(request, requirement: .object(["d"]))
            try self.store.deleteBlob(
                account: request.account,
                container: container,
                name: blob,
                conditions: BlobConditions(request)
            )
            return StorageResponse.empty(
                .accepted,
                request,
                headers: [HTTPField.Name("x-ms-delete-type-permanent")!: "true"]
            )
        default:
            throw .notImplemented(request)
        }
    }

    /// Set Blob Tier: `x-ms-access-tier` names the new tier. Leaving Archive for an online tier
    /// (rehydration, hours in Azure) completes at once here, so the answer is always 200, never
    /// Azure's 202 "rehydrate pending". Like Azure, the ETag and Last-Modified stay as they were.
    private func setBlobTier(
        _ request: StorageRequest,
        container: String,
        blob: String
    ) throws(StorageServiceError) -> Response {
        guard let tier = try AccessTier.requested(request) else { throw .missingHeader("x-ms-access-tier") }
        if let priority = request.header("x-ms-rehydrate-priority"),
            !["standard", "high"].contains(priority.lowercased())
        {
            throw .invalidHeader("x-ms-rehydrate-priority", priority)
        }
        try self.store.setTier(account: request.account, container: container, name: blob, tier: tier)
        return StorageResponse.empty(.ok, request)
    }

    // MARK: Service and containers

    private func handleService(_ request: StorageRequest, operation: String) throws(StorageServiceError) -> Response {
        switch operation {
        case "ListContainers":
            try self.authorizer.authorize(request, requirement: .service(["l"]))
            return try self.listContainers(request)
        case "GetBlobServiceProperties":
            try self.authorizer.authorize(request, requirement: .service(["r"]))
            return StorageResponse.xml(.ok, request, ServiceProperties.defaultXML)
        case "SetBlobServiceProperties":
            try self.authorizer.authorize(request, requirement: .service(["w"]))
            return StorageResponse.empty(.accepted, request)
        case "GetAccountInformation":
            try self.authorizer.authorize(request, requirement: .service(["r", "l", "w", "c", "d", "a"]))
            return StorageResponse.empty(
                .ok,
                request,
                headers: [
                    HTTPField.Name("x-ms-sku-name")!: "Standard_LRS",
                    HTTPField.Name("x-ms-account-kind")!: "StorageV2",
                    HTTPField.Name("x-ms-is-hns-enabled")!: "false",
                ]
            )
        default:
            throw .notImplemented(request)
        }
    }

    private func handleContainer(
        _ request: StorageRequest,
        container: String,
        operation: String
    ) throws(StorageServiceError) -> Response {
        guard request.query("restype") == "container" else {
            throw .invalidQuery("restype", request.query("restype") ?? "")
        }
        let account = request.account
        switch operation {
        case "CreateContainer":
            try self.authorizer.authorize(request, requirement: .container(["c", "w"]))
            try Self.validateMetadataNames(request)
            guard
                ResourceNames.isValidContainerOrQueueName(container) || ["$root", "$logs", "$web"].contains(container)
            else {
                throw .invalidResourceName("Container names are 3-63 lowercase letters, digits and single hyphens.")
            }
            let record = try self.store.createContainer(
                account: account,
                name: container,
                metadata: request.metadata,
                publicAccess: try Self.publicAccessHeader(request)
            )
            return StorageResponse.empty(.created, request, headers: Self.containerHeaders(record, full: false))
        case "GetContainerProperties", "GetContainerMetadata":
            try self.authorizer.authorize(request, requirement: .container(["r"]))
            let record = try self.store.container(account: account, name: container)
            return StorageResponse.empty(.ok, request, headers: Self.containerHeaders(record, full: true))
        case "SetContainerMetadata":
            try self.authorizer.authorize(request, requirement: .container(["w"]))
            let metadata = request.metadata
            let record = try self.store.updateContainer(account: account, name: container) { $0.metadata = metadata }
            return StorageResponse.empty(.ok, request, headers: Self.containerHeaders(record, full: false))
        case "GetContainerACL":
            try self.authorizer.authorize(request, requirement: .container(["r"]))
            let record = try self.store.container(account: account, name: container)
            var headers = Self.containerHeaders(record, full: false)
            if let access = record.publicAccess { headers[HTTPField.Name("x-ms-blob-public-access")!] = access }
            return StorageResponse.xml(
                .ok,
                request,
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><SignedIdentifiers />",
                headers: headers
            )
        case "SetContainerACL":
            try self.authorizer.authorize(request, requirement: .container(["w"]))
            let access = try Self.publicAccessHeader(request)
            let record = try self.store.updateContainer(account: account, name: container) { $0.publicAccess = access }
            return StorageResponse.empty(.ok, request, headers: Self.containerHeaders(record, full: false))
        case "DeleteContainer":
            try self.authorizer.authorize(request, requirement: .container(["d"]))
            try self.store.deleteContainer(account: account, name: container)
            return StorageResponse.empty(.accepted, request)
        case "ListBlobs":
            try self.authorizer.authorize(
                request,
                requirement: .container(["l"], publicAccess: .containerRead),
                publicAccess: self.store.publicAccess(account: account, container: container)
            )
            return try self.listBlobs(request, container: container)
        default:
            throw .notImplemented(request)
        }
    }

    private static func publicAccessHeader(_ request: StorageRequest) throws(StorageServiceError) -> String? {
        guard let value = request.header("x-ms-blob-public-access"), !value.isEmpty else { return nil }
        guard value == "blob" || value == "container" else { throw .invalidHeader("x-ms-blob-public-access", value) }
        return value
    }

    private static func containerHeaders(_ record: ContainerRecord, full: Bool) -> HTTPFields {
        var headers = HTTPFields()
        headers[.eTag] = "\"" + record.etag + "\""
        headers[.lastModified] = record.lastModified.rfc1123
        if full {
            for (key, value) in record.metadata.sorted(by: { $0.key < $1.key }) {
                headers[HTTPField.Name("x-ms-meta-" + key)!] = value
            }
            if let access = record.publicAccess { headers[HTTPField.Name("x-ms-blob-public-access")!] = access }
            headers[HTTPField.Name("x-ms-lease-status")!] = "unlocked"
            headers[HTTPField.Name("x-ms-lease-state")!] = "available"
            headers[HTTPField.Name("x-ms-has-immutability-policy")!] = "false"
            headers[HTTPField.Name("x-ms-has-legal-hold")!] = "false"
        }
        return headers
    }

    private func listContainers(_ request: StorageRequest) throws(StorageServiceError) -> Response {
        let prefix = request.query("prefix") ?? ""
        let marker = request.query("marker") ?? ""
        let maxResults = try request.intQuery("maxresults", default: 5000, range: 1...5000)!
        let includeMetadata = (request.query("include") ?? "").split(separator: ",").contains("metadata")
        let all = self.store.listContainers(account: request.account).filter {
            $0.name.hasPrefix(prefix) && $0.name >= marker
        }
        var xml = XMLBuilder()
        xml.open("EnumerationResults", attributes: [("ServiceEndpoint", self.endpoint(request.account))])
        if !prefix.isEmpty { xml.element("Prefix", prefix) }
        if !marker.isEmpty { xml.element("Marker", marker) }
        if request.query("maxresults") != nil { xml.element("MaxResults", maxResults) }
        xml.open("Containers")
        for container in all.prefix(maxResults) {
            xml.open("Container")
            xml.element("Name", container.name)
            xml.open("Properties")
            xml.element("Last-Modified", container.lastModified.rfc1123)
            xml.element("Etag", "\"" + container.etag + "\"")
            xml.element("LeaseStatus", "unlocked")
            xml.element("LeaseState", "available")
            if let access = container.publicAccess { xml.element("PublicAccess", access) }
            xml.element("HasImmutabilityPolicy", "false")
            xml.element("HasLegalHold", "false")
            xml.close("Properties")
            if includeMetadata {
                xml.open("Metadata")
                for (key, value) in container.metadata.sorted(by: { $0.key < $1.key }) { xml.element(key, value) }
                xml.close("Metadata")
            }
            xml.close("Container")
        }
        xml.close("Containers")
        xml.element("NextMarker", all.count > maxResults ? all[maxResults].name : "")
        xml.close("EnumerationResults")
        return StorageResponse.xml(.ok, request, xml.text)
    }

    private func listBlobs(_ request: StorageRequest, container: String) throws(StorageServiceError) -> Response {
        let prefix = request.query("prefix") ?? ""
        let marker = request.query("marker") ?? ""
        let delimiter = request.query("delimiter") ?? ""
        let maxResults = try request.intQuery("maxresults", default: 5000, range: 1...5000)!
        let include = Set((request.query("include") ?? "").split(separator: ",").map { $0.lowercased() })
        var items: [(name: String, record: BlobRecord?)] = []
        var nextMarker = ""
        var lastPrefix: String?
        try self.store.listBlobs(
            account: request.account,
            container: container,
            prefix: prefix,
            startingAt: marker,
            includeUncommitted: include.contains("uncommittedblobs")
        ) { record in
            if let lastPrefix, record.name.hasPrefix(lastPrefix) { return true }
            var item: (name: String, record: BlobRecord?) = (record.name, record)
            if !delimiter.isEmpty, let range = record.name.dropFirst(prefix.count).range(of: delimiter) {
                item = (String(record.name[..<range.upperBound]), nil)
            }
            if items.count == maxResults {
                nextMarker = record.name
                return false
            }
            if item.record == nil { lastPrefix = item.name }
            items.append(item)
            return true
        }
        var xml = XMLBuilder()
        xml.open(
            "EnumerationResults",
            attributes: [("ServiceEndpoint", self.endpoint(request.account)), ("ContainerName", container)]
        )
        if !prefix.isEmpty { xml.element("Prefix", prefix) }
        if !marker.isEmpty { xml.element("Marker", marker) }
        if request.query("maxresults") != nil { xml.element("MaxResults", maxResults) }
        if !delimiter.isEmpty { xml.element("Delimiter", delimiter) }
        xml.open("Blobs")
        for item in items {
            guard let record = item.record else {
                xml.open("BlobPrefix")
                Self.writeName(item.name, to: &xml)
                xml.close("BlobPrefix")
                continue
            }
            xml.open("Blob")
            Self.writeName(record.name, to: &xml)
            xml.open("Properties")
            xml.element("Creation-Time", record.created.rfc1123)
            xml.element("Last-Modified", record.lastModified.rfc1123)
            xml.element("Etag", record.etag)
            xml.element("Content-Length", record.size)
            xml.element("Content-Type", record.properties.contentType ?? "application/octet-stream")
            xml.element("Content-Encoding", record.properties.contentEncoding)
            xml.element("Content-Language", record.properties.contentLanguage)
            xml.element("Content-CRC64", nil)
            xml.element("Content-MD5", record.properties.contentMD5)
            xml.element("Cache-Control", record.properties.cacheControl)
            xml.element("Content-Disposition", record.properties.contentDisposition)
            xml.element("BlobType", "BlockBlob")
            xml.element("AccessTier", record.effectiveTier.rawValue)
            if record.tier == nil { xml.element("AccessTierInferred", "true") }
            if let changed = record.tierChangeTime { xml.element("AccessTierChangeTime", changed.rfc1123) }
            xml.element("LeaseStatus", "unlocked")
            xml.element("LeaseState", "available")
            xml.element("ServerEncrypted", "true")
            if include.contains("copy"), let copy = record.copy {
                xml.element("CopyId", copy.id)
                xml.element("CopySource", copy.source)
                xml.element("CopyStatus", "success")
                xml.element("CopyProgress", "\(copy.bytes)/\(copy.bytes)")
                xml.element("CopyCompletionTime", copy.completed.rfc1123)
            }
            xml.close("Properties")
            if include.contains("metadata") {
                xml.open("Metadata")
                for (key, value) in record.metadata.sorted(by: { $0.key < $1.key }) { xml.element(key, value) }
                xml.close("Metadata")
            }
            xml.close("Blob")
        }
        xml.close("Blobs")
        xml.element("NextMarker", nextMarker)
        xml.close("EnumerationResults")
        return StorageResponse.xml(.ok, request, xml.text)
    }

    // MARK: Helpers

    /// Metadata names must be C# identifiers, as Azure requires.
    static func validateMetadataNames(_ request: StorageRequest) throws(StorageServiceError) {
        for name in request.metadata.keys {
            let scalars = Array(name.unicodeScalars)
            let valid =
                !scalars.isEmpty && (scalars[0] == "_" || scalars[0].properties.isAlphabetic)
                && scalars.allSatisfy { $0 == "_" || $0.properties.isAlphabetic || $0.properties.numericType != nil }
            guard valid else {
                throw .init(
                    .badRequest,
                    "InvalidMetadata",
                    "The metadata specified is invalid. It has characters that are not permitted: '\(name)'."
                )
            }
        }
    }

    /// Names with characters XML cannot carry are listed percent-encoded with `Encoded="true"`.
    static func writeName(_ name: String, to xml: inout XMLBuilder) {
        let needsEncoding = name.unicodeScalars.contains { scalar in
            (scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r") || scalar.value == 0xFFFE
                || scalar.value == 0xFFFF
        }
        if needsEncoding {
            xml.text += "<Name Encoded=\"true\">" + PercentEncoding.encode(name, keepSlash: true) + "</Name>"
        } else {
            xml.element("Name", name)
        }
    }

    static func httpProperties(_ request: StorageRequest, blobPrefixed: Bool) -> BlobHTTPProperties {
        func value(_ name: String) -> String? {
            let header =
                blobPrefixed
                ? request.header("x-ms-blob-" + name) : (request.header("x-ms-blob-" + name) ?? request.header(name))
            return header?.isEmpty == false ? header : nil
        }
        return BlobHTTPProperties(
            contentType: value("content-type"),
            contentEncoding: value("content-encoding"),
            contentLanguage: value("content-language"),
            contentDisposition: value("content-disposition"),
            cacheControl: value("cache-control"),
            contentMD5: request.header("x-ms-blob-content-md5")
        )
    }

    static func writeHeaders(_ record: BlobRecord) -> HTTPFields {
        var headers = HTTPFields()
        headers[.eTag] = record.quotedETag
        headers[.lastModified] = record.lastModified.rfc1123
        headers[HTTPField.Name("x-ms-request-server-encrypted")!] = "true"
        return headers
    }
}
