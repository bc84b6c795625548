import StorageCore
import StorageHTTP

/// One blob container: create or delete it, list its blobs, and reach its blobs.
public struct BlobContainerClient: Sendable {
    /// The container's name.
    public let name: String
    let pipeline: StoragePipeline

    /// A client for container `name` in the pipeline's account.
    public init(name: String, pipeline: StoragePipeline) {
        self.name = name
        self.pipeline = pipeline
    }

    /// The container's URL, without any credential.
    public var url: String { self.pipeline.url(.blob, path: self.path) }

    var path: String { "/" + PercentEncoding.encode(self.name) }

    /// A client for one blob in this container. `name` may contain `/`.
    public func blob(_ name: String) -> BlobClient {
        BlobClient(container: self.name, name: name, pipeline: self.pipeline)
    }

    /// Creates the container; returns false when it already existed.
    @discardableResult
    public func createIfNotExists() async throws -> Bool {
        var operation = StorageOperation(
            "CreateContainer",
            .blob,
            "PUT",
            path: self.path,
            query: [("restype", "container")]
        )
        operation.successOnRetry = [409]
        do {
            return try await self.pipeline.send(operation).status == 201
        } catch let error as StorageError where error.isConflict {
            return false
        }
    }

    /// Deletes the container and every blob in it.
    public func delete() async throws {
        var operation = StorageOperation(
            "DeleteContainer",
            .blob,
            "DELETE",
            path: self.path,
            query: [("restype", "container")]
        )
        operation.successOnRetry = [404]
        _ = try await self.pipeline.send(operation)
    }

    /// One page of the listing, from `marker` on.
    public func listBlobsPage(
        prefix: String? = nil,
        delimiter: String? = nil,
        includeMetadata: Bool = false,
        marker: String? = nil,
        maxResults: Int? = nil
    ) async throws -> BlobListPage {
        var query: [(name: String, value: String)] = [("restype", "container"), ("comp", "list")]
        if let prefix, !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let delimiter, !delimiter.isEmpty { query.append(("delimiter", delimiter)) }
        if includeMetadata { query.append(("include", "metadata")) }
        if let marker, !marker.isEmpty { query.append(("marker", marker)) }
        if let maxResults { query.append(("maxresults", String(maxResults))) }
        let operation = StorageOperation("ListBlobs", .blob, "GET", path: self.path, query: query)
        let response = try await self.pipeline.send(operation)
        do {
            return try BlobXML.listPage(response.body)
        } catch {
            throw StorageError.decoding(
                operation: operation.name,
                requestID: response.header("x-ms-request-id"),
                message: "\(error)"
            )
        }
    }

    /// Every blob (and, with a delimiter, every virtual folder) under `prefix`, fetched page by
    /// page as the sequence is iterated.
    public func listBlobs(
        prefix: String? = nil,
        delimiter: String? = nil,
        includeMetadata: Bool = false,
        pageSize: Int? = nil
    ) -> BlobListing {
        BlobListing(
            container: self,
            prefix: prefix,
            delimiter: delimiter,
            includeMetadata: includeMetadata,
            pageSize: pageSize
        )
    }
}

/// The pages of a container listing as an `AsyncSequence`; each element is one page.
public struct BlobListing: AsyncSequence, Sendable {
    public typealias Element = BlobListPage

    let container: BlobContainerClient
    let prefix: String?
    let delimiter: String?
    let includeMetadata: Bool
    let pageSize: Int?

    public struct AsyncIterator: AsyncIteratorProtocol {
        let listing: BlobListing
        var marker: String?
        var finished = false

        public mutating func next() async throws -> BlobListPage? {
            guard !self.finished else { return nil }
            let page = try await self.listing.container.listBlobsPage(
                prefix: self.listing.prefix,
                delimiter: self.listing.delimiter,
                includeMetadata: self.listing.includeMetadata,
                marker: self.marker,
                maxResults: self.listing.pageSize
            )
            self.marker = page.nextMarker
            self.finished = page.nextMarker == nil
            return page
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(listing: self)
    }

    /// Every blob of every page, in order.
    public func allBlobs() async throws -> [BlobListItem] {
        var blobs: [BlobListItem] = []
        for try await page in self { blobs.append(contentsOf: page.blobs) }
        return blobs
    }
}
