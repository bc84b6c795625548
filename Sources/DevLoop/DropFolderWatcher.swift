import Glibc

/// Tells the drop folder uploader when files have been written, so it uploads a file as soon as
/// its writer is done with it instead of waiting for it to look unchanged for a while.
///
/// It is Linux's inotify on the folder and every sub-folder: a file closed after writing, or
/// moved in, is finished; a file opened for writing and not yet closed is still being written.
/// The descriptor is non-blocking and read on each call of `drain()`, so no thread waits on it.
final class DropFolderWatcher {
    /// What happened since the last `drain()`, by path relative to the folder.
    struct Changes {
        /// Files whose writer closed them, or that were moved in: complete.
        var finished: Set<String> = []
        /// Files written to and not closed yet.
        var writing: Set<String> = []
        /// Files closed or removed since: no longer being written.
        var notWriting: Set<String> = []
        /// The kernel dropped events (its queue overflowed): only a full scan can say what changed.
        var overflowed = false
    }

    private let folder: String
    private let descriptor: Int32
    /// Watched folders by watch descriptor, relative to `folder` ("" for the folder itself).
    private var folders: [Int32: String] = [:]
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    private static let fileEvents = UInt32(
        IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM
    )

    /// Watches `folder` and its sub-folders, or returns nil where inotify is unavailable (the
    /// uploader then relies on its scans alone).
    init?(folder: String) {
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        self.folder = folder
        self.descriptor = descriptor
        guard self.watch(relative: "") else {
            close(descriptor)
            return nil
        }
    }

    deinit {
        close(self.descriptor)
    }

    /// Reads every event queued so far, without waiting.
    func drain() -> Changes {
        var changes = Changes()
        while true {
            let count = self.buffer.withUnsafeMutableBytes { read(self.descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            self.parse(count: count, into: &changes)
        }
        return changes
    }

    private func parse(count: Int, into changes: inout Changes) {
        var offset = 0
        let header = 16  // wd, mask, cookie, len: four 32-bit fields before the name
        while offset + header <= count {
            let (wd, mask, length) = self.buffer.withUnsafeBytes { bytes in
                (
                    bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                    bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                    Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                )
            }
            let nameBytes = self.buffer[(offset + header)..<min(offset + header + length, count)].prefix { $0 != 0 }
            offset += header + length
            if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                changes.overflowed = true
                continue
            }
            if mask & UInt32(IN_IGNORED) != 0 {
                self.folders[wd] = nil
                continue
            }
            guard let base = self.folders[wd], !nameBytes.isEmpty else { continue }
            let name = String(decoding: nameBytes, as: UTF8.self)
            let relative = base.isEmpty ? name : base + "/" + name
            if mask & UInt32(IN_ISDIR) != 0 {
                // A new sub-folder: watch it; files already in it are found by the next scan.
                if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0, !name.hasPrefix(".") {
                    _ = self.watch(relative: relative)
                    changes.overflowed = true
                }
                continue
            }
            if mask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO) != 0 {
                changes.finished.insert(relative)
                changes.writing.remove(relative)
                changes.notWriting.insert(relative)
            } else if mask & UInt32(IN_DELETE | IN_MOVED_FROM) != 0 {
                changes.finished.remove(relative)
                changes.writing.remove(relative)
                changes.notWriting.insert(relative)
            } else if mask & UInt32(IN_MODIFY | IN_CREATE) != 0 {
                changes.writing.insert(relative)
                changes.notWriting.remove(relative)
            }
        }
    }

    /// Watches one folder and, recursively, the sub-folders already in it (hidden ones excepted).
    @discardableResult
    private func watch(relative: String) -> Bool {
        let path = relative.isEmpty ? self.folder : self.folder + "/" + relative
        let wd = inotify_add_watch(self.descriptor, path, Self.fileEvents | UInt32(IN_ONLYDIR))
        guard wd >= 0 else { return false }
        self.folders[wd] = relative
        guard let directory = opendir(path) else { return true }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.hasPrefix("."), entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            self.watch(relative: relative.isEmpty ? name : relative + "/" + name)
        }
        return true
    }
}
