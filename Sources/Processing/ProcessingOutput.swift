/// One file the processing produced and uploaded.
public struct ProcessingOutput: Sendable, Hashable {
    /// The output blob's name.
    public var name: String
    /// Its size in bytes.
    public var size: Int64
    /// Its Content-MD5 in base64, as Azure reports it, when known.
    public var md5: String?

    /// Creates an output entry.
    public init(name: String, size: Int64, md5: String? = nil) {
        self.name = name
        self.size = size
        self.md5 = md5
    }
}
