import Crypto
import Foundation
import Glibc

/// The bytes of one pipe-mode transfer, moved by blobflow between a local file and azcopy's
/// stdin or stdout on a thread of its own, hashed on the way.
///
/// Owning the stream is what lets blobflow check a download the way its own engine does (size
/// and MD5 against the blob's properties) and know an upload's MD5 without reading the file
/// twice.
enum AzCopyPipe {
    /// Bytes moved at a time.
    static let chunkSize = 1024 * 1024

    /// What went through the pipe.
    struct Moved: Sendable, Hashable {
        /// The number of bytes.
        var size: Int64
        /// Their MD5; nil when they were not hashed (a download of a blob without Content-MD5).
        var md5: [UInt8]?
    }

    /// Why the bytes stopped before the end.
    enum Failure: Error, Sendable {
        /// The local file could not be opened, read or written.
        case localFile(LocalFileError)
        /// azcopy stopped reading its stdin before the whole file was given to it.
        case peerClosed
    }

    /// A pipe for azcopy's stdout (`read`, `write`), both ends close-on-exec, as large as the
    /// system allows without privileges (1 MiB) so azcopy rarely waits for blobflow.
    static func makePipe() throws(LocalFileError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw LocalFileError(operation: "cannot create a pipe for", path: "azcopy", errno: errno)
        }
        // Children are spawned with every descriptor above 2 closed; close-on-exec covers the rest.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(ends[0], Self.setPipeSize, Int32(Self.chunkSize))
        return (ends[0], ends[1])
    }

    /// `F_SETPIPE_SZ` of `<fcntl.h>`, which Swift's Glibc module does not export.
    private static let setPipeSize: Int32 = 1024 + 7

    /// A connected socket pair for azcopy's stdin (`mine`, `azcopys`): azcopy accepts a socket as
    /// a pipe, and writing to it with `MSG_NOSIGNAL` never raises SIGPIPE in blobflow when azcopy
    /// has gone.
    static func makeSocketPair() throws(LocalFileError) -> (mine: Int32, azcopys: Int32) {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw LocalFileError(operation: "cannot create a socket pair for", path: "azcopy", errno: errno)
        }
        return (ends[0], ends[1])
    }

    /// Reads `descriptor` to its end into a new file at `path` (replacing any file there),
    /// hashing as it writes when `hashing`. Does not close `descriptor`.
    static func receive(from descriptor: Int32, into path: String, hashing: Bool) async -> Result<Moved, Failure> {
        await Self.onThread(named: "blobflow-azcopy-receive") {
            let file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o666)
            guard file >= 0 else {
                return .failure(.localFile(LocalFileError(operation: "cannot create", path: path, errno: errno)))
            }
            defer { close(file) }
            return Self.pump(from: descriptor, hashing: hashing) { buffer, count in
                var offset = 0
                while offset < count {
                    let written = write(file, buffer + offset, count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return .localFile(LocalFileError(operation: "cannot write", path: path, errno: errno))
                    }
                    offset += written
                }
                return nil
            }
        }
    }

    /// Sends the regular file at `path` (not through a link) into the socket `descriptor`,
    /// hashing as it reads, and shuts the socket down for writing once the whole file is sent
    /// (azcopy's end of the stream). On failure the socket is left open, so azcopy never takes a
    /// truncated stream for the whole file: the caller stops azcopy first. Does not close
    /// `descriptor`.
    static func send(file path: String, to descriptor: Int32) async -> Result<Moved, Failure> {
        await Self.onThread(named: "blobflow-azcopy-send") {
            let file = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard file >= 0 else {
                return .failure(.localFile(LocalFileError(operation: "cannot open", path: path, errno: errno)))
            }
            defer { close(file) }
            var info = stat()
            guard fstat(file, &info) == 0 else {
                return .failure(.localFile(LocalFileError(operation: "cannot inspect", path: path, errno: errno)))
            }
            guard info.st_mode & S_IFMT == S_IFREG else {
                return .failure(.localFile(LocalFileError(operation: "not a regular file:", path: path, errno: EINVAL)))
            }
            let result = Self.pump(
                from: file,
                hashing: true,
                readError: { LocalFileError(operation: "cannot read", path: path, errno: $0) }
            ) { buffer, count in
                var offset = 0
                while offset < count {
                    let sent = Glibc.send(descriptor, buffer + offset, count - offset, Int32(MSG_NOSIGNAL))
                    if sent < 0 {
                        if errno == EINTR { continue }
                        return .peerClosed
                    }
                    offset += sent
                }
                return nil
            }
            if case .success = result { shutdown(descriptor, Int32(SHUT_WR)) }
            return result
        }
    }

    /// Reads `source` to its end in chunks, handing each to `consume` and hashing it when
    /// `hashing`.
    private static func pump(
        from source: Int32,
        hashing: Bool,
        readError: (Int32) -> LocalFileError = {
            LocalFileError(operation: "cannot read from", path: "azcopy's output", errno: $0)
        },
        consume: (UnsafeMutableRawPointer, Int) -> Failure?
    ) -> Result<Moved, Failure> {
        var hasher = Insecure.MD5()
        var size: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(source, buffer.baseAddress!, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.localFile(readError(errno)))
            }
            if count == 0 { break }
            if let failure = consume(buffer.baseAddress!, count) { return .failure(failure) }
            if hashing { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count])) }
            size += Int64(count)
        }
        return .success(Moved(size: size, md5: hashing ? Array(hasher.finalize()) : nil))
    }

    /// Runs blocking work on a thread of its own, never on the cooperative pool.
    private static func onThread<Value: Sendable>(
        named name: String,
        _ work: @escaping @Sendable () -> Value
    ) async -> Value {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.name = name
            thread.start()
        }
    }
}
