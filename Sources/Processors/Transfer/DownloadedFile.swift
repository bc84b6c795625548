/// A blob version on local disk.
public struct DownloadedFile: Sendable, Hashable {
    /// Where it was written.
    public var path: String
    /// Its size in bytes.
    public var size: Int64
    /// The eTag of the version downloaded, as the service sent it.
    public var eTag: String
    /// The blob's stored Content-MD5 in base64, when it has one.
    public var contentMD5: String?
    /// Whether the bytes were checked against that MD5.
    public var md5Verified: Bool

    /// Creates a description of a downloaded file.
    public init(path: String, size: Int64, eTag: String, contentMD5: String? = nil, md5Verified: Bool = false) {
        self.path = path
        self.size = size
        self.eTag = eTag
        self.contentMD5 = contentMD5
        self.md5Verified = md5Verified
    }
}
