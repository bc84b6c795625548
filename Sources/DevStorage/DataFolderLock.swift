import Foundation
import Glibc

/// An exclusive hold on a data folder, so a second server (or a second `blobflow dev`) started
/// on the same folder refuses at once instead of writing into the first one's journals.
///
/// It is an `flock` on `FOLDER/.lock`, taken without waiting; the kernel releases it when the
/// process ends, however it ends, so a crash never leaves a stale lock behind. The file holds
/// the owner's process id, only to name it in the refusal.
public final class DataFolderLock: Sendable {
    /// The folder held.
    public let folder: String
    private let descriptor: Int32

    /// Creates the folder if needed and takes the lock, or throws a `DataFolderLockError`
    /// saying which folder is in use and by which process. Nothing else in the folder is touched.
    public init(folder: String) throws(DataFolderLockError) {
        self.folder = folder
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw DataFolderLockError(folder: folder, reason: "cannot create it: \(error.localizedDescription)")
        }
        let path = folder + "/.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw DataFolderLockError(
                folder: folder,
                reason: "cannot open \(path): \(String(cString: strerror(errno)))"
            )
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let owner = Self.readOwner(descriptor)
            close(descriptor)
            if code == EWOULDBLOCK {
                throw DataFolderLockError(folder: folder, ownerPID: owner)
            }
            throw DataFolderLockError(folder: folder, reason: "cannot lock \(path): \(String(cString: strerror(code)))")
        }
        let text = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        self.descriptor = descriptor
    }

    deinit {
        close(self.descriptor)
    }

    private static func readOwner(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }
}

/// A data folder that cannot be held: another process owns it, or it cannot be created.
public struct DataFolderLockError: Error, Sendable, CustomStringConvertible {
    /// The folder.
    public let folder: String
    /// The process holding it, when another one does and its id could be read.
    public let ownerPID: Int32?
    /// Whether another process holds the folder (rather than it being unusable).
    public let isHeldByAnotherProcess: Bool
    private let reason: String?

    init(folder: String, ownerPID: Int32?) {
        self.folder = folder
        self.ownerPID = ownerPID
        self.isHeldByAnotherProcess = true
        self.reason = nil
    }

    init(folder: String, reason: String) {
        self.folder = folder
        self.ownerPID = nil
        self.isHeldByAnotherProcess = false
        self.reason = reason
    }

    public var description: String {
        if let reason { return "cannot use the data folder \(self.folder): \(reason)" }
        let owner = self.ownerPID.map { "process \($0)" } ?? "another process"
        return "the data folder \(self.folder) is in use by \(owner) (another blobflow dev or devstore?): "
            + "stop that one first, or give this one its own folder with --location"
    }
}
