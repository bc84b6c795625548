import Foundation
import StorageClient
import StorageCore

extension AzCopyTransferEngine {
    public func download(_ source: BlobSource, to path: String) async throws -> DownloadedFile {
        let blob = self.blob(source.blobName, in: source.container)
        let before = try await Self.properties(of: blob, requiredETag: source.eTag.isEmpty ? nil : source.eTag)
        if LocalFiles.kind(at: path) == .directory {
            throw StorageError.localFile(
                operation: "AzCopyDownload",
                message: "cannot download to '\(path)': it is a folder"
            )
        }
        try await self.hooks.beforeTransfer?()
        let (url, scrubber) = try await self.authorizedURL(for: blob, permissions: "r")
        let after: BlobProperties
        let moved: AzCopyPipe.Moved
        do {
            // Only a stored Content-MD5 gives the bytes' MD5 a use (large blobs uploaded in blocks
            // have none); hashing on the receiving thread would slow every byte.
            let run = try await self.runner.runPiped(
                AzCopyArguments.pipeDownload(from: url),
                stream: .download(to: path, hashing: before.contentMD5 != nil),
                scrubber: scrubber
            )
            switch run.moved {
            case .failure(.localFile(let error)):
                throw StorageError.localFile(
                    operation: "AzCopyDownload",
                    message: "\(error)",
                    diskFull: error.isDiskFull
                )
            case .failure(.peerClosed):
                throw await Self.classified(AzCopyError.pipeFailure(run), blob: blob, eTag: before.eTag)
            case .success where !run.succeeded:
                throw await Self.classified(AzCopyError.pipeFailure(run), blob: blob, eTag: before.eTag)
            case .success(let bytes):
                moved = bytes
            }
            // azcopy fetched whatever the blob was when it asked; only the same eTag now proves
            // that was the version the event named.
            after = try await Self.properties(of: blob, requiredETag: before.eTag)
            guard moved.size == after.contentLength else {
                throw StorageError.integrity(
                    operation: "AzCopyDownload",
                    message:
                        "azcopy delivered \(moved.size) bytes where version \(after.eTag) has \(after.contentLength)"
                )
            }
            if let stored = after.contentMD5, stored != moved.md5 {
                throw StorageError.integrity(
                    operation: "AzCopyDownload",
                    message:
                        "the bytes azcopy delivered have MD5 \(moved.md5.map { Base64.encode($0) } ?? "unknown") where version \(after.eTag) "
                        + "stores Content-MD5 \(Base64.encode(stored))"
                )
            }
        } catch {
            Self.removeDownloadLeftovers(at: path)
            throw error
        }
        return DownloadedFile(
            path: path,
            size: after.contentLength,
            eTag: after.eTag,
            contentMD5: after.contentMD5.map { Base64.encode($0) },
            md5Verified: after.contentMD5 != nil
        )
    }

    /// The blob's properties, failing with HTTP 412 (as the native engine does) when
    /// `requiredETag` is set and the blob now has another eTag, and with 404 when it is gone.
    static func properties(of blob: BlobClient, requiredETag: String?) async throws -> BlobProperties {
        guard let requiredETag else { return try await blob.properties() }
        let quoted = EntityTag.quotedIfBare(requiredETag)
        func replaced(found: String?, requestID: String?) -> StorageError {
            StorageError.service(
                operation: "GetBlob",
                status: 412,
                errorCode: "ConditionNotMet",
                requestID: requestID,
                message: "the blob was replaced after the event was raised (expected eTag \(quoted)"
                    + (found.map { ", found \($0)" } ?? "") + "); the newer version raises an event of its own"
            )
        }
        let properties: BlobProperties
        do {
            properties = try await blob.properties(ifMatch: quoted)
        } catch let error as StorageError where error.isConditionNotMet {
            throw replaced(found: try? await blob.properties().eTag, requestID: error.requestID)
        }
        guard EntityTag.opaque(properties.eTag) == EntityTag.opaque(quoted) else {
            throw replaced(found: properties.eTag, requestID: nil)
        }
        return properties
    }

    /// azcopy's failure as the consumer should see it: a blob that is now gone or replaced
    /// becomes the `StorageError` the native engine would throw (with azcopy's text in it), a full
    /// disk a disk-full `StorageError`; anything else stays azcopy's.
    private static func classified(_ failure: AzCopyError, blob: BlobClient, eTag: String) async -> any Error {
        let text = failure.message.lowercased()
        if text.contains("no space left on device") || text.contains("disk quota exceeded") {
            return StorageError.localFile(operation: "AzCopyDownload", message: "\(failure)", diskFull: true)
        }
        guard failure.code == .transferFailed || failure.code == .incomplete else { return failure }
        do {
            _ = try await Self.properties(of: blob, requiredETag: eTag)
            return failure
        } catch let check as StorageError where check.isNotFound {
            return StorageError.service(
                operation: "GetBlob",
                status: 404,
                errorCode: check.errorCode ?? "BlobNotFound",
                requestID: check.requestID,
                message: "the blob no longer exists; \(failure)"
            )
        } catch let check as StorageError where check.isConditionNotMet {
            return StorageError.service(
                operation: "GetBlob",
                status: 412,
                errorCode: "ConditionNotMet",
                requestID: check.requestID,
                message: "\(check.message); \(failure)"
            )
        } catch {
            return Task.isCancelled ? CancellationError() : failure
        }
    }

    /// Removes what a failed or cancelled download left at the destination.
    private static func removeDownloadLeftovers(at path: String) {
        if let kind = LocalFiles.kind(at: path), kind != .directory { try? LocalFiles.removeTree(path) }
    }
}
