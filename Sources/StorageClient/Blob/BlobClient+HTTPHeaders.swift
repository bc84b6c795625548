import StorageCore
import StorageHTTP

extension BlobClient {
    /// Sets the blob's content type and Content-MD5 (Set Blob Properties), for a blob written by
    /// a tool that could not store its MD5. The service replaces every content header at once:
    /// the others (encoding, language, disposition, cache control) are cleared. With `eTag`, fails
    /// with 412 when the blob has changed since. Returns the new eTag.
    @discardableResult
    public func setHTTPHeaders(
        contentType: String?,
        contentMD5: [UInt8]?,
        ifMatch eTag: String? = nil
    ) async throws -> String {
        var operation = StorageOperation(
            "SetBlobProperties",
            .blob,
            "PUT",
            path: self.path,
            query: [("comp", "properties")]
        )
        if let contentType { operation.headers.append(("x-ms-blob-content-type", contentType)) }
        if let contentMD5 { operation.headers.append(("x-ms-blob-content-md5", Base64.encode(contentMD5))) }
        if let eTag { operation.headers.append(("If-Match", eTag)) }
        let response = try await self.pipeline.send(operation)
        return response.header("etag") ?? ""
    }
}
