import Glibc
public import Processing

/// `BLOBFLOW_TRANSFER=auto`: small files through one engine, large ones through another.
///
/// azcopy costs a process start (and blobflow a properties check) per file, which dominates for
/// small files; blobflow's own engine has no such floor. Routing by size keeps azcopy for the
/// large transfers it was chosen for.
public struct SizeRoutedTransferEngine: TransferEngine {
    /// Files smaller than this use ``small``.
    public let threshold: Int64
    /// The engine for small files.
    public let small: any TransferEngine
    /// The engine for files of at least ``threshold`` bytes.
    public let large: any TransferEngine

    /// Routes files below `threshold` bytes (64 MiB by default) to `small`, the rest to `large`.
    public init(small: any TransferEngine, large: any TransferEngine, threshold: Int64 = 64 * 1024 * 1024) {
        self.small = small
        self.large = large
        self.threshold = threshold
    }

    public func download(_ source: BlobSource, to path: String) async throws -> DownloadedFile {
        try await (source.contentLength < self.threshold ? self.small : self.large).download(source, to: path)
    }

    public func upload(
        file path: String,
        to blobName: String,
        container: String,
        contentType: String?,
        metadata: [String: String]
    ) async throws -> ProcessingOutput {
        var info = stat()
        let size = stat(path, &info) == 0 ? Int64(info.st_size) : 0
        return try await (size < self.threshold ? self.small : self.large).upload(
            file: path,
            to: blobName,
            container: container,
            contentType: contentType,
            metadata: metadata
        )
    }
}
