import Foundation
public import Processing
import StorageClient
import StorageCore

extension AzCopyTransferEngine {
    public func upload(
        file path: String,
        to blobName: String,
        container: String,
        contentType: String?,
        metadata: [String: String]
    ) async throws -> ProcessingOutput {
        let metadataArgument = try AzCopyArguments.metadata(metadata)
        let blob = self.blob(blobName, in: container)
        let (url, scrubber) = try await self.authorizedURL(for: blob, permissions: "cw")
        let arguments = AzCopyArguments.pipeUpload(
            to: url,
            contentType: contentType,
            metadata: metadataArgument,
            blockSizeMiB: self.configuration.blockSizeMiB
        )
        try await self.hooks.beforeTransfer?()
        let run = try await self.runner.runPiped(arguments, stream: .upload(from: path), scrubber: scrubber)
        let sent: AzCopyPipe.Moved
        switch run.moved {
        case .failure(.localFile(let error)):
            throw StorageError.localFile(operation: "AzCopyUpload", message: "\(error)", diskFull: error.isDiskFull)
        case .failure(.peerClosed):
            throw AzCopyError.pipeFailure(run)
        case .success where !run.succeeded:
            throw AzCopyError.pipeFailure(run)
        case .success(let bytes):
            sent = bytes
        }

        // blobflow fed azcopy every byte and hashed them on the way: the committed blob must have
        // that many, and gets that MD5 (azcopy stores none in pipe mode).
        let stored = try await blob.properties()
        guard stored.contentLength == sent.size else {
            throw StorageError.integrity(
                operation: "AzCopyUpload",
                message:
                    "azcopy reported success, but \(container)/\(blobName) has \(stored.contentLength) bytes where \(sent.size) were sent from '\(path)'"
            )
        }
        try await blob.setHTTPHeaders(
            contentType: contentType ?? stored.contentType,
            contentMD5: sent.md5,
            ifMatch: stored.eTag
        )
        return ProcessingOutput(name: blobName, size: sent.size, md5: sent.md5.map { Base64.encode($0) })
    }
}
