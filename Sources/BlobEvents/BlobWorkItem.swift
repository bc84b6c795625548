import StorageCore

/// One completed blob version to process, taken from a `Microsoft.Storage.BlobCreated` event.
///
/// Event Grid delivers at least once and one upload can raise several events, so the same
/// version can arrive more than once: ``versionKey`` identifies it across those duplicates.
public struct BlobWorkItem: Sendable, Hashable, Codable {
    /// The event's id; duplicates of one delivery share it, distinct events of one upload do not.
    public var eventID: String
    /// When the event happened, as the event wrote it (ISO 8601); `""` when a CloudEvent omitted `time`.
    public var eventTime: String
    /// The schema the event came in.
    public var schema: EventSchema
    /// The operation that completed the blob: `PutBlob`, `PutBlockList`, `CopyBlob`,
    /// `FlushWithClose` or `SftpCommit`.
    public var api: String
    /// The configured account the blob belongs to.
    public var accountName: String
    /// The container.
    public var container: String
    /// The blob name exactly as the event's subject gives it: not percent-decoded, `/` separated.
    public var blobName: String
    /// The blob's ETag at commit, always with its surrounding double quotes, ready for `If-Match`.
    public var eTag: String
    /// The blob's size in bytes at commit.
    public var contentLength: Int64
    /// The blob's content type; `application/octet-stream` when the event left it out.
    public var contentType: String
    /// `BlockBlob`, `AppendBlob` or `PageBlob`; `BlockBlob` when the event left it out.
    public var blobType: String
    /// Orders events of one blob when compared as strings.
    public var sequencer: String
    /// The blob URL the event carried. Informational only: blobs are always fetched from the
    /// configured endpoint, never from a URL an event names.
    public var blobURL: String

    /// Creates a work item; `eTag` may come with or without its surrounding quotes.
    public init(
        eventID: String,
        eventTime: String,
        schema: EventSchema,
        api: String,
        accountName: String,
        container: String,
        blobName: String,
        eTag: String,
        contentLength: Int64,
        contentType: String = "application/octet-stream",
        blobType: String = "BlockBlob",
        sequencer: String,
        blobURL: String
    ) {
        self.eventID = eventID
        self.eventTime = eventTime
        self.schema = schema
        self.api = api
        self.accountName = accountName
        self.container = container
        self.blobName = blobName
        self.eTag = EntityTag.quoted(eTag) ?? eTag
        self.contentLength = contentLength
        self.contentType = contentType
        self.blobType = blobType
        self.sequencer = sequencer
        self.blobURL = blobURL
    }

    /// The stable id of this blob version, `ACCOUNT/CONTAINER/NAME@ETAG` with the ETag unquoted:
    /// equal for every event about the same committed content, different after any overwrite.
    public var versionKey: String {
        "\(self.accountName)/\(self.container)/\(self.blobName)@\(EntityTag.unquoted(self.eTag))"
    }
}
