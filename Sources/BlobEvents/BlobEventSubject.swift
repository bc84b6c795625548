import Foundation

/// The subject of a blob event, `/blobServices/default/containers/CONTAINER/blobs/NAME`.
public struct BlobEventSubject: Sendable, Hashable, CustomStringConvertible {
    /// The container name.
    public var container: String
    /// The blob name, unencoded, possibly with `/` separators.
    public var blobName: String

    /// Creates a subject.
    public init(container: String, blobName: String) {
        self.container = container
        self.blobName = blobName
    }

    private static let prefix = "/blobServices/default/containers/"

    /// Parses a subject; nil when it is not a blob subject.
    public init?(parsing subject: String) {
        guard subject.hasPrefix(Self.prefix) else { return nil }
        let rest = subject.dropFirst(Self.prefix.count)
        guard let range = rest.range(of: "/blobs/") else { return nil }
        let container = rest[rest.startIndex..<range.lowerBound]
        let name = rest[range.upperBound...]
        guard !container.isEmpty, !name.isEmpty, !container.contains("/") else { return nil }
        self.container = String(container)
        self.blobName = String(name)
    }

    public var description: String { Self.prefix + self.container + "/blobs/" + self.blobName }
}
