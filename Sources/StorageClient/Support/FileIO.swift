import Glibc

/// A failed system call on a local file, with errno kept so a full disk can be told apart.
struct FileIOError: Error, Sendable, CustomStringConvertible {
    let operation: String
    let path: String
    let errno: Int32

    var isDiskFull: Bool { self.errno == ENOSPC || self.errno == EDQUOT }
    var description: String { "\(self.operation) '\(self.path)': \(String(cString: strerror(self.errno)))" }
}

/// Thin, errno-preserving wrappers around the file calls the transfer engine needs.
enum FileIO {
    static func openForReading(_ path: String) throws(FileIOError) -> Int32 {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileIOError(operation: "cannot open", path: path, errno: errno) }
        return descriptor
    }

    static func createForWriting(_ path: String) throws(FileIOError) -> Int32 {
        let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileIOError(operation: "cannot create", path: path, errno: errno) }
        return descriptor
    }

    static func size(of descriptor: Int32, path: String) throws(FileIOError) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw FileIOError(operation: "cannot stat", path: path, errno: errno)
        }
        return Int64(info.st_size)
    }

    static func modificationTime(of descriptor: Int32) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return 0 }
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    /// Reserves `length` bytes so a full disk is found before any byte is downloaded. File systems
    /// that cannot reserve (some network shares) get a sparse file of the right size instead.
    static func reserve(descriptor: Int32, length: Int64, path: String) throws(FileIOError) {
        guard length > 0 else { return }
        let result = posix_fallocate(descriptor, 0, off_t(length))
        if result == 0 { return }
        if result == ENOSPC || result == EDQUOT {
            throw FileIOError(operation: "not enough space for", path: path, errno: result)
        }
        guard ftruncate(descriptor, off_t(length)) == 0 else {
            throw FileIOError(operation: "cannot size", path: path, errno: errno)
        }
    }

    static func rename(_ from: String, to: String) throws(FileIOError) {
        guard Glibc.rename(from, to) == 0 else {
            throw FileIOError(operation: "cannot rename to", path: to, errno: errno)
        }
    }

    static func remove(_ path: String) {
        unlink(path)
    }

    /// Calls `body` with consecutive pieces (1 MiB at most) of a file range.
    static func forEachChunk(
        descriptor: Int32,
        offset: Int64,
        length: Int64,
        chunkSize: Int = 1024 * 1024,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(FileIOError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var position = offset
        let end = offset + length
        while position < end {
            let wanted = Int(min(Int64(chunkSize), end - position))
            let read = pread(descriptor, buffer.baseAddress!, wanted, off_t(position))
            if read < 0 {
                if errno == EINTR { continue }
                throw FileIOError(operation: "cannot read", path: "<file>", errno: errno)
            }
            if read == 0 { throw FileIOError(operation: "unexpected end of", path: "<file>", errno: EIO) }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<read]))
            position += Int64(read)
        }
    }
}
