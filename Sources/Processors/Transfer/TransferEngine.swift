public import Processing

/// Moves bytes between the storage account and local files for a processor.
///
/// The native engine uses blobflow's own client; others (an `azcopy` engine) can stand in without
/// the processors changing. An engine only ever addresses the configured account: a
/// ``BlobSource`` names a container and a blob, never a URL, so nothing a message says can send
/// credentials to another host.
public protocol TransferEngine: Sendable {
    /// Downloads exactly the version `source` names to `path`, replacing any file there.
    ///
    /// Fails with a `StorageError` whose `isNotFound` is true when the blob is gone, whose
    /// `isConditionNotMet` is true when it now has another eTag, and whose `isDiskFull` is true
    /// when the local disk has no room for it.
    func download(_ source: BlobSource, to path: String) async throws -> DownloadedFile

    /// Uploads the file at `path` as blob `blobName` in `container`, replacing any blob of that
    /// name, and returns the blob's name, size and Content-MD5.
    func upload(
        file path: String,
        to blobName: String,
        container: String,
        contentType: String?,
        metadata: [String: String]
    ) async throws -> ProcessingOutput
}
