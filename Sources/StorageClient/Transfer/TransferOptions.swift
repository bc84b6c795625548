/// How the transfer engine splits and parallelises a download or upload.
public struct TransferOptions: Sendable {
    /// Bytes per ranged GET or staged block. Raised automatically when an upload would need more
    /// than Azure's 50,000 blocks.
    public var blockSize: Int64 = 8 * 1024 * 1024
    /// Requests in flight at once.
    public var concurrency: Int = 16
    /// Uploads up to this size go in one Put Blob; larger ones in parallel blocks.
    public var singleShotThreshold: Int64 = 32 * 1024 * 1024
    /// Downloads: check the blob's stored Content-MD5, when it has one, against the bytes written.
    public var verifyMD5: Bool = true
    /// Downloads: the version to fetch, as an eTag (the one a blob event named). When the blob now
    /// has another eTag, the download fails with a ``StorageError`` whose
    /// ``StorageError/isConditionNotMet`` is true, instead of fetching newer content. `nil`: whatever
    /// version is current when the download starts.
    public var requiredETag: String?
    /// Uploads: compute the file's MD5 and store it as the blob's Content-MD5 (the service checks
    /// it on single-shot uploads; downloaders can verify it).
    public var computeMD5: Bool = true
    /// Uploads: skip blocks an interrupted earlier upload of the same file already staged.
    public var resumeStagedBlocks: Bool = true
    /// Uploads: the blob's content type.
    public var contentType: String?
    /// Uploads: the blob's metadata.
    public var metadata: [String: String] = [:]
    /// Called after each block or range completes, from any thread.
    public var progress: (@Sendable (TransferProgress) -> Void)?

    /// The defaults: 8 MiB blocks, 16 in flight, MD5 on.
    public init() {}
}

/// How far a transfer has come.
public struct TransferProgress: Sendable, Hashable {
    /// Bytes of completed blocks or ranges.
    public var bytesTransferred: Int64
    /// The blob's or file's size.
    public var totalBytes: Int64
}

/// What a download produced.
public struct DownloadResult: Sendable {
    /// The blob's properties when the download started (its eTag pins the version downloaded).
    public var properties: BlobProperties
    /// Whether the bytes were checked against the blob's stored MD5.
    public var md5Verified: Bool
}

/// What an upload produced.
public struct UploadResult: Sendable, Hashable {
    /// The new blob's eTag.
    public var eTag: String
    /// Bytes uploaded (the file's size).
    public var bytes: Int64
    /// The MD5 stored with the blob, when computed.
    public var contentMD5: [UInt8]?
    /// Blocks found already staged by an earlier attempt and not sent again.
    public var blocksReused: Int
    /// Blocks in the blob (0 for a single-shot upload).
    public var blockCount: Int
}
