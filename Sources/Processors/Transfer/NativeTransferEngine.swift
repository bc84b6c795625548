import Foundation
public import Processing
public import StorageClient
import StorageCore

/// The transfer engine built on blobflow's own client: parallel ranged downloads pinned to the
/// event's eTag and verified against the stored MD5, and parallel block uploads that store the
/// file's MD5.
public struct NativeTransferEngine: TransferEngine {
    /// The account blobs are read from and written to.
    public let pipeline: StoragePipeline
    /// Block size, parallelism and MD5 settings for every transfer. The per-call eTag, content
    /// type and metadata are set by the engine.
    public var options: TransferOptions

    /// Creates an engine for the pipeline's account.
    public init(pipeline: StoragePipeline, options: TransferOptions = TransferOptions()) {
        self.pipeline = pipeline
        self.options = options
    }

    public func download(_ source: BlobSource, to path: String) async throws -> DownloadedFile {
        var options = self.options
        options.requiredETag = source.eTag.isEmpty ? nil : source.eTag
        let blob = self.pipeline.container(source.container).blob(source.blobName)
        let result = try await blob.download(to: path, options: options)
        return DownloadedFile(
            path: path,
            size: result.properties.contentLength,
            eTag: result.properties.eTag,
            contentMD5: result.properties.contentMD5.map { Base64.encode($0) },
            md5Verified: result.md5Verified
        )
    }

    public func upload(
        file path: String,
        to blobName: String,
        container: String,
        contentType: String?,
        metadata: [String: String]
    ) async throws -> ProcessingOutput {
        var options = self.options
        options.contentType = contentType
        options.metadata = options.metadata.merging(metadata) { _, new in new }
        let result = try await self.pipeline.container(container).blob(blobName).upload(from: path, options: options)
        return ProcessingOutput(
            name: blobName,
            size: result.bytes,
            md5: result.contentMD5.map { Base64.encode($0) }
        )
    }
}
