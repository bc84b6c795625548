import Foundation
public import Logging
public import ServiceLifecycle
public import StorageClient

/// Watches a local folder and uploads each new or changed file into a container, under its path
/// relative to the folder: the "drop a file" half of `blobflow dev`.
///
/// A file is uploaded as soon as its writer closes it (or it is moved in), which the kernel tells
/// (inotify): no fixed settling wait. A periodic scan catches what the events cannot show (files
/// dropped while blobflow was not running, or written in ways inotify does not see): such a file
/// is uploaded once its size and modification time stayed the same for one scan and nothing
/// has it open for writing, so a file still being copied in is not sent half-written. What was
/// uploaded is remembered in a small state file, so restarting `blobflow dev` does not upload the
/// same files again. Hidden files and folders, and symbolic links, are ignored.
public struct DropFolderUploader: Service {
    let folder: String
    let container: BlobContainerClient
    let stateFile: String
    let interval: Duration
    let dropTimes: DropTimes?
    let logger: Logger

    /// Creates an uploader scanning `folder` every `interval`, noting in `dropTimes` when each
    /// file was found written.
    public init(
        folder: String,
        container: BlobContainerClient,
        stateFile: String,
        interval: Duration = .milliseconds(250),
        dropTimes: DropTimes? = nil,
        logger: Logger
    ) {
        self.folder = folder
        self.container = container
        self.stateFile = stateFile
        self.interval = interval
        self.dropTimes = dropTimes
        self.logger = logger
    }

    struct Stamp: Codable, Hashable {
        var size: Int64
        var modified: Double
    }

    /// How often the kernel's events are read: the most a finished file waits to be noticed.
    static let eventInterval: Duration = .milliseconds(10)

    public func run() async throws {
        try FileManager.default.createDirectory(atPath: self.folder, withIntermediateDirectories: true)
        var uploaded = self.loadState()
        var previous: [String: Stamp] = [:]
        let watcher = DropFolderWatcher(folder: self.folder)
        var writing: Set<String> = []
        var nextScan = ContinuousClock.now
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            if let changes = watcher?.drain() {
                writing.subtract(changes.notWriting)
                writing.formUnion(changes.writing)
                for path in changes.finished.sorted() where !Self.isHidden(path) {
                    guard let stamp = self.stamp(of: path), uploaded[path] != stamp else { continue }
                    await self.upload(path, stamp: stamp, into: &uploaded)
                }
                if changes.overflowed { nextScan = .now }
            }
            if ContinuousClock.now >= nextScan {
                let current = self.scan()
                for (path, stamp) in current.sorted(by: { $0.key < $1.key })
                where previous[path] == stamp && uploaded[path] != stamp && !writing.contains(path) {
                    await self.upload(path, stamp: stamp, into: &uploaded)
                }
                previous = current
                nextScan = ContinuousClock.now + self.interval
            }
            let pause = watcher == nil ? self.interval : Self.eventInterval
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            } catch {
                return
            }
        }
    }

    private func upload(_ path: String, stamp: Stamp, into uploaded: inout [String: Stamp]) async {
        self.dropTimes?.dropped(path)
        do {
            let result = try await self.container.blob(path).upload(from: self.folder + "/" + path)
            uploaded[path] = stamp
            self.saveState(uploaded)
            self.logger.info(
                "uploaded a dropped file",
                metadata: [
                    "file": "\(path)", "blob": "\(self.container.name)/\(path)",
                    "size": "\(HumanText.bytes(result.bytes))",
                ]
            )
        } catch {
            self.logger.error(
                "could not upload a dropped file; will try again",
                metadata: ["file": "\(path)", "error": "\(error)"]
            )
        }
    }

    static func isHidden(_ path: String) -> Bool {
        path.split(separator: "/").contains { $0.hasPrefix(".") }
    }

    /// The size and modification time of a regular file under the folder; nil for anything else.
    func stamp(of relative: String) -> Stamp? {
        var info = stat()
        guard lstat(self.folder + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        return Stamp(size: Int64(info.st_size), modified: modified)
    }

    /// Regular files under the folder, by relative path.
    func scan() -> [String: Stamp] {
        var found: [String: Stamp] = [:]
        guard let walker = FileManager.default.enumerator(atPath: self.folder) else { return found }
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                walker.skipDescendants()
                continue
            }
            if let stamp = self.stamp(of: relative) { found[relative] = stamp }
        }
        return found
    }

    private func loadState() -> [String: Stamp] {
        guard let data = FileManager.default.contents(atPath: self.stateFile),
            let state = try? JSONDecoder().decode([String: Stamp].self, from: data)
        else { return [:] }
        return state
    }

    private func saveState(_ state: [String: Stamp]) {
        guard let data = try? JSONEncoder().encode(state) else { return }
        try? data.write(to: URL(fileURLWithPath: self.stateFile), options: .atomic)
    }
}
