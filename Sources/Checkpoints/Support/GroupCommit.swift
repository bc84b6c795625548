import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One flush for many writers: whoever asks while no flush runs starts one; whoever asks while
/// one runs waits for the next, which then covers everyone who asked meanwhile. Each caller
/// returns only after a flush that started after its call has finished.
///
/// On Linux the flush is `syncfs` on the checkpoint folder's file system (file data and folder
/// entries of every file written there); elsewhere `sync`.
final class GroupCommit: @unchecked Sendable {
    private let condition = NSCondition()
    private let directory: String
    private let descriptor: Int32
    // Guarded by `condition`.
    private var started = 0
    private var finished = 0
    private var flushing = false
    private var failure: (flush: Int, error: CheckpointError)?

    init(directory: String) throws(CheckpointError) {
        self.directory = directory
        self.descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard self.descriptor >= 0 else { throw .fileSystem("cannot open", path: directory, errno: errno) }
    }

    deinit {
        close(self.descriptor)
    }

    func flush() throws(CheckpointError) {
        self.condition.lock()
        defer { self.condition.unlock() }
        let needed = self.started + 1
        while self.finished < needed {
            guard !self.flushing else {
                self.condition.wait()
                continue
            }
            self.flushing = true
            self.started += 1
            let number = self.started
            self.condition.unlock()
            let error = self.flushFileSystem()
            self.condition.lock()
            self.flushing = false
            self.finished = number
            if let error { self.failure = (number, error) }
            self.condition.broadcast()
        }
        if let failure = self.failure, failure.flush >= needed { throw failure.error }
    }

    private func flushFileSystem() -> CheckpointError? {
        #if os(Linux)
        if let syncfs = Self.syncfs {
            return syncfs(self.descriptor) == 0 ? nil : .fileSystem("cannot flush", path: self.directory, errno: errno)
        }
        #endif
        sync()
        return nil
    }

    #if os(Linux)
    /// glibc's `syncfs`, which the Glibc module does not import.
    private static let syncfs: (@convention(c) (Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()
    #endif
}
