import StorageCore
import StorageHTTP

/// One blob: its properties and metadata, small reads and writes, copy, delete, block staging,
/// and (in `BlobClient+Transfer`) parallel download to and upload from files.
public struct BlobClient: Sendable {
    /// The container's name.
    public let container: String
    /// The blob's name (may contain `/`).
    public let name: String
    let pipeline: StoragePipeline

    /// A client for blob `name` in `container`.
    public init(container: String, name: String, pipeline: StoragePipeline) {
        self.container = container
        self.name = name
        self.pipeline = pipeline
    }

    /// The blob's URL, without any credential: safe to log and to hand to an app.
    public var url: String { self.pipeline.url(.blob, path: self.path) }

    var path: String {
        "/" + PercentEncoding.encode(self.container) + "/" + PercentEncoding.encode(self.name, keepSlash: true)
    }

    /// Size, type, MD5, eTag and metadata (one HEAD request).
    public func properties(ifMatch eTag: String? = nil) async throws -> BlobProperties {
        var operation = StorageOperation("GetBlobProperties", .blob, "HEAD", path: self.path)
        if let eTag { operation.headers.append(("If-Match", eTag)) }
        let response = try await self.pipeline.send(operation)
        return try Self.properties(from: response, operation: operation.name)
    }

    /// Whether the blob exists.
    public func exists() async throws -> Bool {
        do {
            _ = try await self.properties()
            return true
        } catch let error as StorageError where error.isNotFound {
            return false
        }
    }

    /// Replaces the blob's metadata.
    public func setMetadata(_ metadata: [String: String], ifMatch eTag: String? = nil) async throws {
        var operation = StorageOperation(
            "SetBlobMetadata",
            .blob,
            "PUT",
            path: self.path,
            query: [("comp", "metadata")]
        )
        operation.headers = metadata.sorted { $0.key < $1.key }.map { ("x-ms-meta-\($0.key)", $0.value) }
        if let eTag { operation.headers.append(("If-Match", eTag)) }
        _ = try await self.pipeline.send(operation)
    }

    /// Deletes the blob (and its snapshots). Returns false when it did not exist.
    /// With `ifMatch`, only that version is deleted (412 otherwise).
    @discardableResult
    public func deleteIfExists(ifMatch eTag: String? = nil) async throws -> Bool {
        var operation = StorageOperation("DeleteBlob", .blob, "DELETE", path: self.path)
        operation.headers = [("x-ms-delete-snapshots", "include")]
        if let eTag { operation.headers.append(("If-Match", eTag)) }
        operation.successOnRetry = [404]
        do {
            _ = try await self.pipeline.send(operation)
            return true
        } catch let error as StorageError where error.isNotFound {
            return false
        }
    }

    /// Writes `bytes` as the whole blob in one Put Blob, with their MD5 checked by the service
    /// and stored.
    @discardableResult
    public func upload(
        _ bytes: [UInt8],
        contentType: String? = nil,
        metadata: [String: String] = [:],
        ifNoneMatch: String? = nil,
        ifMatch: String? = nil
    ) async throws -> String {
        var operation = StorageOperation("PutBlob", .blob, "PUT", path: self.path)
        operation.body = .bytes(bytes)
        operation.headers = [("x-ms-blob-type", "BlockBlob"), ("Content-MD5", Base64.encode(MD5Digest.of(bytes)))]
        if let contentType { operation.headers.append(("x-ms-blob-content-type", contentType)) }
        if let ifNoneMatch { operation.headers.append(("If-None-Match", ifNoneMatch)) }
        if let ifMatch { operation.headers.append(("If-Match", ifMatch)) }
        operation.headers += metadata.sorted { $0.key < $1.key }.map { ("x-ms-meta-\($0.key)", $0.value) }
        let response = try await self.pipeline.send(operation)
        return response.header("etag") ?? ""
    }

    /// Reads the whole blob (or a range) into memory. For small blobs: manifests, configuration.
    public func downloadBytes(range: ClosedRange<Int64>? = nil, limit: Int = 64 * 1024 * 1024) async throws -> [UInt8] {
        var operation = StorageOperation("GetBlob", .blob, "GET", path: self.path)
        if let range { operation.headers.append(("x-ms-range", "bytes=\(range.lowerBound)-\(range.upperBound)")) }
        operation.destination = .memory(limit: limit)
        return try await self.pipeline.send(operation).body
    }

    /// Stages one block of a block blob from a slice of an open file.
    func stageBlock(
        id: String,
        descriptor: Int32,
        offset: Int64,
        length: Int64,
        contentMD5: [UInt8]? = nil,
        progress: (@Sendable (Int64) -> Void)? = nil
    ) async throws {
        var operation = StorageOperation(
            "PutBlock",
            .blob,
            "PUT",
            path: self.path,
            query: [("comp", "block"), ("blockid", id)]
        )
        operation.body = .file(descriptor: descriptor, offset: offset, length: length)
        if let contentMD5 { operation.headers.append(("Content-MD5", Base64.encode(contentMD5))) }
        operation.progress = progress
        _ = try await self.pipeline.send(operation)
    }

    /// Commits a block list, making it the blob's content.
    func commitBlockList(
        _ ids: [String],
        contentType: String?,
        contentMD5: [UInt8]?,
        metadata: [String: String]
    ) async throws -> String {
        var operation = StorageOperation("PutBlockList", .blob, "PUT", path: self.path, query: [("comp", "blocklist")])
        operation.body = .bytes(BlobXML.blockListBody(latest: ids))
        operation.headers = [("Content-Type", "application/xml")]
        if let contentType { operation.headers.append(("x-ms-blob-content-type", contentType)) }
        if let contentMD5 { operation.headers.append(("x-ms-blob-content-md5", Base64.encode(contentMD5))) }
        operation.headers += metadata.sorted { $0.key < $1.key }.map { ("x-ms-meta-\($0.key)", $0.value) }
        let response = try await self.pipeline.send(operation)
        return response.header("etag") ?? ""
    }

    /// The blob's committed and uncommitted blocks (an empty list when the blob does not exist).
    public func blockList() async throws -> BlockList {
        let operation = StorageOperation(
            "GetBlockList",
            .blob,
            "GET",
            path: self.path,
            query: [("comp", "blocklist"), ("blocklisttype", "all")]
        )
        do {
            let response = try await self.pipeline.send(operation)
            return try BlobXML.blockList(response.body)
        } catch let error as StorageError where error.isNotFound {
            return BlockList()
        } catch let error as StorageDecodingError {
            throw StorageError.decoding(operation: operation.name, requestID: nil, message: "\(error)")
        }
    }

    static func properties(from response: HTTPResponse, operation: String) throws -> BlobProperties {
        guard let length = response.header("content-length").flatMap({ Int64($0) }), let eTag = response.header("etag")
        else {
            throw StorageError.decoding(
                operation: operation,
                requestID: response.header("x-ms-request-id"),
                message: "the reply lacks Content-Length or ETag"
            )
        }
        var metadata: [String: String] = [:]
        for (name, value) in response.headers(withPrefix: "x-ms-meta-") { metadata[name] = value }
        return BlobProperties(
            contentLength: length,
            contentType: response.header("content-type"),
            contentMD5: response.header("content-md5").flatMap { Base64.decode($0) },
            eTag: eTag,
            lastModified: response.header("last-modified").flatMap { StorageDate(rfc1123: $0) },
            creationTime: response.header("x-ms-creation-time").flatMap { StorageDate(rfc1123: $0) },
            blobType: response.header("x-ms-blob-type"),
            contentEncoding: response.header("content-encoding"),
            contentLanguage: response.header("content-language"),
            cacheControl: response.header("cache-control"),
            contentDisposition: response.header("content-disposition"),
            metadata: metadata
        )
    }
}
