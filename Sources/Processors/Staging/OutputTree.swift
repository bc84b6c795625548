import Glibc

/// One regular file the app wrote.
struct OutputFile: Sendable, Hashable {
    /// Its path under the output folder, `/` separated (`reports/summary.csv`).
    let relativePath: String
    /// Its full local path.
    let path: String
    /// Its size in bytes.
    let size: Int64
}

/// Why the output folder cannot be published.
enum OutputTreeError: Error, Sendable, CustomStringConvertible {
    /// A symbolic link, device, fifo or socket, or a name that is not UTF-8: nothing of the kind is
    /// uploaded or followed, and the whole output is refused.
    case unsafe(relativePath: String, what: String)
    /// The folder could not be read.
    case unreadable(LocalFileError)

    var description: String {
        switch self {
        case .unsafe(let relativePath, let what):
            "output/\(relativePath) is \(what); only regular files and folders may be written"
        case .unreadable(let error): "\(error)"
        }
    }
}

/// Lists what the app wrote under `output/`: regular files, recursively, in name order. Never
/// follows a symbolic link, and refuses the whole tree when anything but files and folders is in it.
enum OutputTree {
    /// The files under `directory`; an empty list when the folder does not exist.
    static func files(in directory: String) throws(OutputTreeError) -> [OutputFile] {
        switch LocalFiles.kind(at: directory) {
        case nil: return []
        case .directory: break
        case .symbolicLink: throw .unsafe(relativePath: "", what: "a symbolic link instead of a folder")
        case .regular, .special: throw .unsafe(relativePath: "", what: "not a folder")
        }
        var files: [OutputFile] = []
        try Self.walk(directory, relative: "", into: &files)
        return files
    }

    private static func walk(
        _ directory: String,
        relative: String,
        into files: inout [OutputFile]
    ) throws(OutputTreeError) {
        for name in try Self.names(in: directory, relative: relative) {
            let relativePath = relative.isEmpty ? name : relative + "/" + name
            let path = directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else {
                throw .unreadable(LocalFileError(operation: "cannot inspect", path: path, errno: errno))
            }
            switch LocalFiles.kind(mode: info.st_mode, size: Int64(info.st_size)) {
            case .regular(let size):
                files.append(OutputFile(relativePath: relativePath, path: path, size: size))
            case .directory:
                try Self.walk(path, relative: relativePath, into: &files)
            case .symbolicLink:
                throw .unsafe(relativePath: relativePath, what: "a symbolic link")
            case .special:
                throw .unsafe(relativePath: relativePath, what: "a device, fifo or socket")
            }
        }
    }

    /// The entries of a folder, sorted, without `.` and `..`.
    private static func names(in directory: String, relative: String) throws(OutputTreeError) -> [String] {
        guard let handle = opendir(directory) else {
            throw .unreadable(LocalFileError(operation: "cannot read the folder", path: directory, errno: errno))
        }
        defer { closedir(handle) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(handle) else {
                if errno != 0 {
                    throw .unreadable(
                        LocalFileError(operation: "cannot read the folder", path: directory, errno: errno)
                    )
                }
                break
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: 256) {
                    (String(validatingCString: $0), String(cString: $0))
                }
            }
            if name.1 == "." || name.1 == ".." { continue }
            guard let valid = name.0 else {
                throw .unsafe(
                    relativePath: relative.isEmpty ? name.1 : relative + "/" + name.1,
                    what: "named with bytes that are not UTF-8"
                )
            }
            names.append(valid)
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
