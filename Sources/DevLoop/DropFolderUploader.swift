import Foundation
public import Logging
public import ServiceLifecycle
public import StorageClient

/// Watches a local folder and uploads each new or changed file into a container, under its path
/// relative to the folder: the "drop a file" half of `blobflow dev`.
///
/// A file is uploaded once its size and modification time have stayed the same for one scan (so a
/// file still being copied in is not sent half-written). What was uploaded is remembered in a
/// small state file, so restarting `blobflow dev` does not upload the same files again. Hidden
/// files and folders, and symbolic links, are ignored.
public struct DropFolderUploader: Service {
    let folder: String
    let container: BlobContainerClient
    let stateFile: String
    let interval: Duration
    let logger: Logger

    /// Creates an uploader scanning `folder` every `interval`.
    public init(folder: String, container: BlobContainerClient, stateFile: String, interval: Duration = .milliseconds(250), logger: Logger) {
        self.folder = folder
        self.container = container
        self.stateFile = stateFile
        self.interval = interval
        self.logger = logger
    }

    struct Stamp: Codable, Hashable {
        var size: Int64
        var modified: Double
    }

    public func run() async throws {
        try FileManager.default.createDirectory(atPath: self.folder, withIntermediateDirectories: true)
        var uploaded = self.loadState()
        var previous: [String: Stamp] = [:]
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let current = self.scan()
            for (path, stamp) in current.sorted(by: { $0.key < $1.key })
            where previous[path] == stamp && uploaded[path] != stamp {
                do {
                    let result = try await self.container.blob(path).upload(from: self.folder + "/" + path)
                    uploaded[path] = stamp
                    self.saveState(uploaded)
                    self.logger.info("uploaded a dropped file", metadata: [
                        "file": "\(path)", "blob": "\(self.container.name)/\(path)", "bytes": "\(result.bytes)",
                    ])
                } catch {
                    self.logger.error("could not upload a dropped file; will try again", metadata: ["file": "\(path)", "error": "\(error)"])
                }
            }
            previous = current
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
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
            var info = stat()
            guard lstat(self.folder + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            found[relative] = Stamp(size: Int64(info.st_size), modified: modified)
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
