import Crypto
import Glibc

/// The size and MD5 of a local file, read in pieces (never the whole file in memory), for the
/// Content-MD5 an upload reports.
struct LocalFileDigest: Sendable, Hashable {
    /// Bytes read at a time.
    static let chunkSize = 1024 * 1024

    /// The file's size in bytes.
    let size: Int64
    /// Its MD5.
    let md5: [UInt8]

    /// Reads the regular file at `path` (not through a link) to its end.
    init(path: String) throws(LocalFileError) {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw LocalFileError(operation: "cannot open", path: path, errno: errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw LocalFileError(operation: "cannot inspect", path: path, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw LocalFileError(operation: "not a regular file:", path: path, errno: EINVAL) }
        var hasher = Insecure.MD5()
        var size: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress!, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw LocalFileError(operation: "cannot read", path: path, errno: errno)
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            size += Int64(count)
        }
        self.size = size
        self.md5 = Array(hasher.finalize())
    }
}
