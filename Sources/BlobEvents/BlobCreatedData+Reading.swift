extension BlobCreatedData {
    /// Reads the `data` of a BlobCreated event from a queue message, tolerating what Azure leaves
    /// out on some sources: `clientRequestId`, `requestId`, `contentType`, `blobType`,
    /// `storageDiagnostics` and `contentOffset` may be missing (and an unreadable `contentOffset`,
    /// which nothing uses, is ignored). `api`, `eTag`, `contentLength`,
    /// `url` and `sequencer` must be there.
    init(reading reader: FieldReader) throws(PoisonReason) {
        self.init(
            api: try reader.string("api"),
            clientRequestId: try reader.optionalString("clientRequestId") ?? "",
            requestId: try reader.optionalString("requestId") ?? "",
            eTag: try reader.string("eTag"),
            contentType: try reader.optionalString("contentType") ?? "application/octet-stream",
            contentLength: try reader.byteCount("contentLength"),
            blobType: try reader.optionalString("blobType") ?? "BlockBlob",
            url: try reader.string("url"),
            sequencer: try reader.string("sequencer"),
            storageDiagnostics: nil,
            contentOffset: (try? reader.optionalByteCount("contentOffset")) ?? nil
        )
    }
}
