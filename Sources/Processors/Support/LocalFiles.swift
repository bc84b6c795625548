import Glibc

/// What `lstat` found at a path. Symbolic links are reported as such, never followed.
enum LocalFileKind: Sendable, Equatable {
    /// A regular file of this size.
    case regular(size: Int64)
    /// A directory.
    case directory
    /// A symbolic link.
    case symbolicLink
    /// A device, fifo or socket.
    case special
}

/// The staging-folder file operations the processors need, none of which follow a symbolic link:
/// the app runs inside the staging folder and may have planted one anywhere in it.
enum LocalFiles {
    /// What is at `path`, or nil when nothing is.
    static func kind(at path: String) -> LocalFileKind? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Self.kind(mode: info.st_mode, size: Int64(info.st_size))
    }

    static func kind(mode: mode_t, size: Int64) -> LocalFileKind {
        switch mode & S_IFMT {
        case S_IFREG: .regular(size: size)
        case S_IFDIR: .directory
        case S_IFLNK: .symbolicLink
        default: .special
        }
    }

    /// Creates the folder (and missing parents); succeeds when it already is a folder.
    static func makeDirectory(_ path: String) throws(LocalFileError) {
        if Self.kind(at: path) == .directory { return }
        let parent = Self.parent(of: path)
        if !parent.isEmpty, parent != path, Self.kind(at: parent) == nil {
            try Self.makeDirectory(parent)
        }
        guard mkdir(path, 0o755) == 0 || (errno == EEXIST && Self.kind(at: path) == .directory) else {
            throw LocalFileError(operation: "cannot create the folder", path: path, errno: errno)
        }
    }

    /// Removes whatever is at `path`, folders with all they contain. Links are removed, not
    /// followed; folders the app made unreadable are made readable first.
    static func removeTree(_ path: String) throws(LocalFileError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw LocalFileError(operation: "cannot inspect", path: path, errno: errno)
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            _ = chmod(path, 0o700)
            let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw LocalFileError(operation: "cannot open the folder", path: path, errno: errno)
            }
            try Self.removeContents(of: descriptor, path: path)
            guard rmdir(path) == 0 || errno == ENOENT else {
                throw LocalFileError(operation: "cannot remove", path: path, errno: errno)
            }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else {
                throw LocalFileError(operation: "cannot remove", path: path, errno: errno)
            }
        }
    }

    /// Empties the folder open as `descriptor` (and closes it), working on names relative to it
    /// so names that are not UTF-8 are removed too.
    private static func removeContents(of descriptor: Int32, path: String) throws(LocalFileError) {
        guard let directory = fdopendir(descriptor) else {
            let error = errno
            close(descriptor)
            throw LocalFileError(operation: "cannot read the folder", path: path, errno: error)
        }
        defer { closedir(directory) }
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw LocalFileError(operation: "cannot read the folder", path: path, errno: errno) }
                return
            }
            var failure: LocalFileError?
            withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: 256) { name in
                    if strcmp(name, ".") == 0 || strcmp(name, "..") == 0 { return }
                    let shown = path + "/" + String(cString: name)
                    var info = stat()
                    guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                        if errno != ENOENT {
                            failure = LocalFileError(operation: "cannot inspect", path: shown, errno: errno)
                        }
                        return
                    }
                    if info.st_mode & S_IFMT == S_IFDIR {
                        _ = fchmodat(descriptor, name, 0o700, 0)
                        let child = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                        guard child >= 0 else {
                            failure = LocalFileError(operation: "cannot open the folder", path: shown, errno: errno)
                            return
                        }
                        do throws(LocalFileError) {
                            try Self.removeContents(of: child, path: shown)
                        } catch {
                            failure = error
                            return
                        }
                        if unlinkat(descriptor, name, AT_REMOVEDIR) != 0, errno != ENOENT {
                            failure = LocalFileError(operation: "cannot remove", path: shown, errno: errno)
                        }
                    } else if unlinkat(descriptor, name, 0) != 0, errno != ENOENT {
                        failure = LocalFileError(operation: "cannot remove", path: shown, errno: errno)
                    }
                }
            }
            if let failure { throw failure }
        }
    }

    /// Removes everything at `path` and creates it again as an empty folder.
    static func recreateDirectory(_ path: String) throws(LocalFileError) {
        try Self.removeTree(path)
        try Self.makeDirectory(path)
    }

    /// Writes `bytes` as a new file at `path`, replacing (never writing through) whatever was there.
    static func writeNewFile(_ path: String, _ bytes: [UInt8]) throws(LocalFileError) {
        try Self.removeTree(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw LocalFileError(operation: "cannot create", path: path, errno: errno) }
        defer { close(descriptor) }
        try Self.write(bytes, to: descriptor, path: path)
    }

    /// Opens `path` for appending, creating it; fails on a link rather than follow it.
    static func openForAppending(_ path: String) throws(LocalFileError) -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw LocalFileError(operation: "cannot open", path: path, errno: errno) }
        return descriptor
    }

    /// Writes all of `bytes` to an open file.
    static func write(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(LocalFileError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw LocalFileError(operation: "cannot write", path: path, errno: errno)
            }
            written += result
        }
    }

    /// Up to the last `limit` bytes of a regular file (not through a link); empty when unreadable.
    static func tail(of path: String, limit: Int) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return [] }
        let length = Int(min(Int64(limit), Int64(info.st_size)))
        guard length > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: length)
        let read = buffer.withUnsafeMutableBytes {
            pread(descriptor, $0.baseAddress!, length, off_t(Int64(info.st_size) - Int64(length)))
        }
        return read > 0 ? Array(buffer[0..<read]) : []
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }
}
