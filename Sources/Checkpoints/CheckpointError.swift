#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A checkpoint folder operation that failed: a file system call (with its `errno`, so a full
/// share or a permission problem can be told apart), a record that could not be encoded, a record
/// written by a newer blobflow, or a claim whose lock stayed busy.
public struct CheckpointError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case fileSystem
        case encoding
        case newerSchema
        case busy
    }

    private let code: Code
    /// What was being done, e.g. `cannot create`.
    public let operation: String
    /// The file or folder involved.
    public let path: String
    /// The system error number, for file system failures.
    public let errno: Int32?

    private init(_ code: Code, operation: String, path: String, errno: Int32?) {
        self.code = code
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// A file system call failed with `errno`.
    package static func fileSystem(_ operation: String, path: String, errno: Int32) -> Self {
        .init(.fileSystem, operation: operation, path: path, errno: errno)
    }

    /// A value could not be turned into JSON.
    package static func encoding(path: String, reason: String) -> Self {
        .init(.encoding, operation: "cannot encode (\(reason))", path: path, errno: nil)
    }

    /// A file carries a schema version this build does not understand; it is left untouched.
    package static func newerSchema(path: String, version: Int) -> Self {
        .init(.newerSchema, operation: "written by a newer blobflow (schema \(version))", path: path, errno: nil)
    }

    /// Another replica held a claim's lock for longer than the store waits.
    package static func busy(path: String) -> Self {
        .init(.busy, operation: "still locked by another replica", path: path, errno: nil)
    }

    /// Whether the share is full or the quota is used up (`ENOSPC`, `EDQUOT`): retrying soon will
    /// not help, and an operator must make room.
    public var isDiskFull: Bool { self.errno == ENOSPC || self.errno == EDQUOT }

    /// Whether the process may not read or write there (`EACCES`, `EPERM`, `EROFS`).
    public var isPermissionDenied: Bool { self.errno == EACCES || self.errno == EPERM || self.errno == EROFS }

    /// Whether the file was written by a newer blobflow; this replica should leave the blob to one
    /// that understands it rather than overwrite it.
    public var isNewerSchema: Bool { self.code == .newerSchema }

    /// Whether a claim's lock stayed taken; trying again shortly is expected to succeed.
    public var isBusy: Bool { self.code == .busy }

    public var description: String {
        guard let errno = self.errno else { return "\(self.operation) '\(self.path)'" }
        return "\(self.operation) '\(self.path)': \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
