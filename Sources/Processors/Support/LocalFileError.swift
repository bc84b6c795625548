import Glibc

/// A failed system call on a staging file, with errno kept so a full disk can be told apart.
struct LocalFileError: Error, Sendable, CustomStringConvertible {
    /// What was being done: `cannot create`, `cannot remove`, ...
    let operation: String
    /// The file or folder.
    let path: String
    /// The system's error number.
    let errno: Int32

    /// The disk (or the user's quota) is full.
    var isDiskFull: Bool { self.errno == ENOSPC || self.errno == EDQUOT }

    var description: String { "\(self.operation) '\(self.path)': \(String(cString: strerror(self.errno)))" }
}
