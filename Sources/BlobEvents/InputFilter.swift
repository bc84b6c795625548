/// What the consumer is configured to treat as input.
///
/// An Event Grid subscription is usually filtered already, but a queue can be shared, a filter
/// can be wrong, and the consumer's own outputs raise events too: the decoder applies this filter
/// to every event so that only blobs the consumer owns become work.
public struct InputFilter: Sendable {
    /// The storage account whose blobs are input; part of every ``BlobWorkItem/versionKey``.
    public var accountName: String
    /// The input container.
    public var container: String
    /// Only blob names starting with this (compared byte for byte) are input; `""` means all.
    public var prefix: String
    /// Output locations, `(container, prefix)`, whose blobs are never work even when they also match
    /// the input: the guard against processing the consumer's own outputs in a loop.
    /// A prefix of `""` excludes the whole container.
    public var excludedPrefixes: [(container: String, prefix: String)]
    /// The blob endpoint the events must name, for example `contosodata.blob.core.windows.net`
    /// or `127.0.0.1:10000`. When set, an event whose `data.url` names another host (or, for
    /// path-style URLs on an IP address or `localhost`, another account in its first path segment)
    /// is poison. `nil` or `""` skips the check. The consumer never fetches that URL either way.
    public var blobEndpointHost: String?

    /// Creates a filter.
    public init(
        accountName: String,
        container: String,
        prefix: String = "",
        excludedPrefixes: [(container: String, prefix: String)] = [],
        blobEndpointHost: String? = nil
    ) {
        self.accountName = accountName
        self.container = container
        self.prefix = prefix
        self.excludedPrefixes = excludedPrefixes
        self.blobEndpointHost = blobEndpointHost
    }
}
