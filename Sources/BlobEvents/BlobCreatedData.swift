/// The `data` object of a `Microsoft.Storage.BlobCreated` event, identical in both schemas.
///
/// Field names and types are exactly Azure's; optional ones are absent on some event sources
/// (for example ADLS Gen2 adds `contentOffset`, Blob Storage never does).
public struct BlobCreatedData: Codable, Sendable, Hashable {
    /// The operation that raised the event: `PutBlob`, `PutBlockList`, `CopyBlob`,
    /// `FlushWithClose`, `CreateFile`, `SftpCommit`, ...
    public var api: String
    /// The client's `x-ms-client-request-id`, or a generated id.
    public var clientRequestId: String
    /// The service's request id (`x-ms-request-id`).
    public var requestId: String
    /// The blob's ETag at commit, as Azure writes it (quoted).
    public var eTag: String
    /// The blob's content type.
    public var contentType: String
    /// The blob's size in bytes.
    public var contentLength: Int64
    /// `BlockBlob`, `AppendBlob` or `PageBlob`.
    public var blobType: String
    /// The blob's URL. Informational only: never fetch with credentials from a URL an event carries.
    public var url: String
    /// Orders events for one blob when compared as strings.
    public var sequencer: String
    /// Diagnostic data of the service; `batchId` is always present.
    public var storageDiagnostics: [String: String]?
    /// ADLS Gen2 only: the offset of the flushed content.
    public var contentOffset: Int64?

    /// Creates the data of a BlobCreated event.
    public init(
        api: String,
        clientRequestId: String,
        requestId: String,
        eTag: String,
        contentType: String,
        contentLength: Int64,
        blobType: String = "BlockBlob",
        url: String,
        sequencer: String,
        storageDiagnostics: [String: String]? = nil,
        contentOffset: Int64? = nil
    ) {
        self.api = api
        self.clientRequestId = clientRequestId
        self.requestId = requestId
        self.eTag = eTag
        self.contentType = contentType
        self.contentLength = contentLength
        self.blobType = blobType
        self.url = url
        self.sequencer = sequencer
        self.storageDiagnostics = storageDiagnostics
        self.contentOffset = contentOffset
    }
}
