import Foundation
import Glibc
import Logging
import StorageClient
import Synchronization

/// The folder azcopy runs in: its `HOME`, its log and job plan folders (which stay empty in pipe
/// mode) and the stderr file of each run. Runs in progress share it, and the last one to end
/// removes it, so nothing is left behind once the engine is idle, and a busy engine does not
/// create and remove three folders per transfer (on ext4 a new folder searches the file system's
/// groups for a place, the largest file system cost of a small transfer).
final class AzCopyHome: Sendable {
    private struct State {
        var folder: String?
        var runs = 0
    }

    let workDirectory: String
    private let logger: Logger
    private let state = Mutex(State())

    init(workDirectory: String, logger: Logger) {
        self.workDirectory = workDirectory
        self.logger = logger
    }

    /// The shared folder, created when no run is in progress; pair with ``leave()``.
    func enter() throws -> String {
        try self.state.withLock { state in
            if let folder = state.folder {
                state.runs += 1
                return folder
            }
            let folder = try self.makeFolder()
            state.folder = folder
            state.runs = 1
            return folder
        }
    }

    /// Ends a run; the last one removes the folder.
    func leave() {
        self.state.withLock { state in
            state.runs -= 1
            guard state.runs == 0, let folder = state.folder else { return }
            state.folder = nil
            self.removeFolder(folder)
        }
    }

    /// A new folder, readable only by the daemon's user, with the log and job plan folders inside.
    private func makeFolder() throws -> String {
        do {
            try LocalFiles.makeDirectory(self.workDirectory)
        } catch {
            throw Self.failure(error, doing: "create azcopy's work folder")
        }
        for _ in 0..<8 {
            let folder = self.workDirectory + "/azcopy-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
            guard mkdir(folder, 0o700) == 0 else {
                if errno == EEXIST { continue }
                throw Self.failure(
                    LocalFileError(operation: "cannot create the folder", path: folder, errno: errno),
                    doing: "create azcopy's run folder"
                )
            }
            for inner in [AzCopyEnvironment.logFolder(in: folder), AzCopyEnvironment.planFolder(in: folder)]
            where mkdir(inner, 0o700) != 0 {
                let error = LocalFileError(operation: "cannot create the folder", path: inner, errno: errno)
                self.removeFolder(folder)
                throw Self.failure(error, doing: "create azcopy's run folder")
            }
            return folder
        }
        throw AzCopyError(.workFolder, message: "cannot create a run folder of a new name in '\(self.workDirectory)'")
    }

    private func removeFolder(_ folder: String) {
        do {
            try LocalFiles.removeTree(folder)
        } catch {
            self.logger.warning(
                "cannot remove azcopy's run folder; it may hold a SAS until it expires",
                metadata: ["error": "\(error)"]
            )
        }
    }

    /// A local failure while preparing a run: a full disk is reported as such (the event is
    /// retried later), anything else as azcopy's work folder being unusable.
    static func failure(_ error: LocalFileError, doing what: String) -> any Error {
        if error.isDiskFull {
            return StorageError.localFile(operation: "AzCopy", message: "cannot \(what): \(error)", diskFull: true)
        }
        return AzCopyError(.workFolder, message: "cannot \(what): \(error)")
    }
}
