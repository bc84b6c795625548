import Crypto

/// MD5, as Azure Storage uses it for content integrity (not for security).
enum MD5Digest {
    static func of(_ bytes: [UInt8]) -> [UInt8] {
        Array(Insecure.MD5.hash(data: bytes))
    }

    /// The MD5 of `length` bytes of an open file from `offset`, read in 1 MiB pieces.
    static func of(descriptor: Int32, offset: Int64, length: Int64) throws(FileIOError) -> [UInt8] {
        var hasher = Insecure.MD5()
        try FileIO.forEachChunk(descriptor: descriptor, offset: offset, length: length) { chunk in
            hasher.update(bufferPointer: chunk)
        }
        return Array(hasher.finalize())
    }
}
