public import BlobEvents

/// The blob version a processor works on: a container and name in the configured account, and
/// what the event said about the version.
///
/// There is deliberately no URL here: the event's URL is informational, and an engine builds the
/// address from the account it was configured with.
public struct BlobSource: Sendable, Hashable {
    /// The container.
    public var container: String
    /// The blob's name, `/` separated.
    public var blobName: String
    /// The version's eTag with its surrounding double quotes, as the event gave it. A download
    /// fails rather than fetch a blob that has since been replaced.
    public var eTag: String
    /// The version's size in bytes, as the event gave it.
    public var contentLength: Int64

    /// Creates a source.
    public init(container: String, blobName: String, eTag: String, contentLength: Int64) {
        self.container = container
        self.blobName = blobName
        self.eTag = eTag
        self.contentLength = contentLength
    }

    /// The blob version a work item names.
    public init(_ item: BlobWorkItem) {
        self.init(
            container: item.container,
            blobName: item.blobName,
            eTag: item.eTag,
            contentLength: item.contentLength
        )
    }
}
