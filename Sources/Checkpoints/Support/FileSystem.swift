#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's identity as seen by a reader: its bytes and when it was last written.
struct FileSnapshot: Equatable {
    var bytes: [UInt8]
    /// Seconds since 1970, from the file's modification time.
    var modified: Double
}

/// Errno-preserving wrappers around the POSIX calls the store needs. Only operations that SMB
/// (Azure Files) performs atomically are relied on: exclusive create and rename.
package enum FileSystem {
    /// Creates a folder and its missing parents; an existing folder is fine.
    static func makeDirectory(_ path: String) throws(CheckpointError) {
        if mkdir(path, 0o755) == 0 { return }
        var error = errno
        if error == ENOENT, let parent = parentDirectory(path), parent != path {
            try makeDirectory(parent)
            if mkdir(path, 0o755) == 0 { return }
            error = errno
        }
        guard error == EEXIST else { throw .fileSystem("cannot create folder", path: path, errno: error) }
        var info = stat()
        guard stat(path, &info) == 0 else { throw .fileSystem("cannot stat", path: path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .fileSystem("cannot use as a folder", path: path, errno: ENOTDIR)
        }
    }

    /// The whole file with its modification time, or `nil` when it does not exist. Reads stop at
    /// the size `fstat` gave (the store replaces files by rename, never appends), so a file costs
    /// one read rather than a second one to find its end: on a share each is a round trip.
    static func readFile(_ path: String) throws(CheckpointError) -> FileSnapshot? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw .fileSystem("cannot open", path: path, errno: errno)
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .fileSystem("cannot stat", path: path, errno: errno) }
        let size = Int(info.st_size)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        var chunk = [UInt8](repeating: 0, count: max(4096, size + 1))
        while bytes.count < size || size == 0 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .fileSystem("cannot read", path: path, errno: errno)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return FileSnapshot(bytes: bytes, modified: modificationSeconds(info))
    }

    /// The modification time in seconds since 1970, or `nil` when the file does not exist.
    static func modificationTime(_ path: String) throws(CheckpointError) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw .fileSystem("cannot stat", path: path, errno: errno)
        }
        return modificationSeconds(info)
    }

    /// Whether something exists at `path` (one `stat`).
    static func exists(_ path: String) throws(CheckpointError) -> Bool {
        try modificationTime(path) != nil
    }

    /// Writes `bytes` so that readers see either the old file or the complete new one: a temporary
    /// file in the same folder, flushed to stable storage, renamed over `path`, and the folder
    /// flushed so the rename itself survives a crash. Without `durable` the two flushes are left
    /// out: still atomic for readers and across a crash of the process, not of the host.
    static func writeAtomically(
        _ bytes: [UInt8],
        to path: String,
        temporaryName: String,
        durable: Bool = true
    ) throws(CheckpointError) {
        guard let directory = parentDirectory(path) else {
            throw .fileSystem("cannot write", path: path, errno: EINVAL)
        }
        let temporary = directory + "/" + temporaryName
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .fileSystem("cannot create", path: temporary, errno: errno) }
        do throws(CheckpointError) {
            try writeAll(descriptor, bytes, path: temporary)
            if durable {
                guard fsync(descriptor) == 0 else { throw .fileSystem("cannot flush", path: temporary, errno: errno) }
            }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw .fileSystem("cannot rename into place", path: path, errno: error)
        }
        if durable { try syncDirectory(directory) }
    }

    /// Creates `path` only if nothing is there, and writes `bytes` into it. Returns `false` when the
    /// file already exists: exactly one of several concurrent callers gets `true`.
    ///
    /// Used for claims and locks, which only matter while their holder runs: the exclusive create
    /// is what counts, so the content is not flushed to stable storage (a host crash can leave an
    /// empty file, which readers treat as held for a short grace period and then as stale).
    static func createExclusively(_ path: String, _ bytes: [UInt8]) throws(CheckpointError) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0 {
            if errno == EEXIST { return false }
            throw .fileSystem("cannot create", path: path, errno: errno)
        }
        do throws(CheckpointError) {
            try writeAll(descriptor, bytes, path: path)
        } catch {
            close(descriptor)
            unlink(path)
            throw error
        }
        close(descriptor)
        return true
    }

    /// Renames a file; returns `false` when the source no longer exists (another caller moved or
    /// removed it first).
    static func move(_ source: String, to destination: String) throws(CheckpointError) -> Bool {
        if rename(source, destination) == 0 { return true }
        if errno == ENOENT { return false }
        throw .fileSystem("cannot rename to '\(destination)'", path: source, errno: errno)
    }

    /// Removes a file; returns `false` when it did not exist.
    @discardableResult
    static func remove(_ path: String) throws(CheckpointError) -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw .fileSystem("cannot remove", path: path, errno: errno)
    }

    /// Sets a file's modification time to now; failures are ignored (it only affects pruning).
    static func touch(_ path: String) {
        _ = utimes(path, nil)
    }

    /// The names in a folder, without `.` and `..`; empty when the folder does not exist.
    static func list(_ path: String) throws(CheckpointError) -> [String] {
        guard let stream = opendir(path) else {
            if errno == ENOENT { return [] }
            throw .fileSystem("cannot list", path: path, errno: errno)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Writes every byte, continuing after short writes and interruptions.
    package static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(CheckpointError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .fileSystem("cannot write", path: path, errno: errno)
            }
            offset += written
        }
    }

    /// Flushes a folder so a rename in it is durable. File systems that cannot flush folders
    /// (some network shares answer `EINVAL`) are accepted; only an I/O error is reported.
    private static func syncDirectory(_ path: String) throws(CheckpointError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        if fsync(descriptor) != 0 && errno == EIO {
            throw .fileSystem("cannot flush folder", path: path, errno: EIO)
        }
    }

    private static func parentDirectory(_ path: String) -> String? {
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func modificationSeconds(_ info: stat) -> Double {
        #if canImport(Darwin)
        Double(info.st_mtimespec.tv_sec) + Double(info.st_mtimespec.tv_nsec) / 1e9
        #else
        Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        #endif
    }
}
