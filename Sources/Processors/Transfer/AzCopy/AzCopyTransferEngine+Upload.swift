public import Processing
import Foundation
import StorageClient

extension AzCopyTransferEngine {
    public func upload(
        file path: String, to blobName: String, container: String, contentType: String?, metadata: [String: String]
    ) async throws -> ProcessingOutput {
        let metadataArgument = try AzCopyArguments.metadata(metadata)
        let local: LocalFileDigest
        do {
            local = try LocalFileDigest(path: path)
        } catch {
            throw StorageError.localFile(operation: "AzCopyUpload", message: "\(error)", diskFull: error.isDiskFull)
        }
        let blob = self.blob(blobName, in: container)
        let (url, scrubber) = try await self.authorizedURL(for: blob, permissions: "cw")
        let arguments = AzCopyArguments.upload(
            from: path, to: url, contentType: contentType, metadata: metadataArgument, blockSizeMiB: self.configuration.blockSizeMiB
        )
        try await self.hooks.beforeTransfer?()
        _ = try await self.runner.run(arguments, scrubber: scrubber)

        // What azcopy read may differ from what was hashed here if the file changed in between.
        let stored = try await blob.properties()
        guard stored.contentLength == local.size, stored.contentMD5 == local.md5 else {
            throw StorageError.integrity(
                operation: "AzCopyUpload",
                message: "azcopy reported success, but \(container)/\(blobName) has \(stored.contentLength) bytes and Content-MD5 "
                    + "\(stored.contentMD5.map { Data($0).base64EncodedString() } ?? "none") where '\(path)' has \(local.size) bytes and MD5 "
                    + Data(local.md5).base64EncodedString()
            )
        }
        return ProcessingOutput(name: blobName, size: local.size, md5: Data(local.md5).base64EncodedString())
    }
}
