import Foundation
public import Logging
public import ServiceLifecycle
public import StorageClient

/// Keeps a local folder in step with a container: every new or changed blob is downloaded under
/// its name: the "watch outputs appear" half of `blobflow dev`.
///
/// Blob names that could escape the folder (`..` or `.` segments, an absolute path, empty
/// segments, NUL) are refused with a warning, never written.
///
/// With a state file, what was mirrored (each blob's ETag and size) survives a restart: a blob
/// whose local copy is still there, unchanged in size, is not downloaded again.
public struct OutputMirror: Service {
    let container: BlobContainerClient
    let folder: String
    let stateFile: String?
    let interval: Duration
    let dropTimes: DropTimes?
    let logger: Logger

    /// Creates a mirror listing the container every `interval`, remembering what it mirrored in
    /// `stateFile` when one is given. Each manifest that arrives is reported in one line, with
    /// the time since its file was dropped when `dropTimes` knows it.
    public init(
        container: BlobContainerClient,
        folder: String,
        stateFile: String? = nil,
        interval: Duration = .milliseconds(500),
        dropTimes: DropTimes? = nil,
        logger: Logger
    ) {
        self.container = container
        self.folder = folder
        self.stateFile = stateFile
        self.interval = interval
        self.dropTimes = dropTimes
        self.logger = logger
    }

    struct Mirrored: Codable, Hashable {
        var eTag: String
        var size: Int64
    }

    public func run() async throws {
        try FileManager.default.createDirectory(atPath: self.folder, withIntermediateDirectories: true)
        var mirrored = self.loadState()
        var refused: Set<String> = []
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                var changed: [BlobListItem] = []
                for try await page in self.container.listBlobs() {
                    changed += page.blobs.filter {
                        mirrored[$0.name]?.eTag != $0.properties.eTag || !self.isMirrored($0)
                    }
                }
                // Manifests last, as blobflow uploads them: when one appears locally, so has the rest.
                let manifests = changed.filter { Self.isManifest($0.name) }
                for item in changed.filter({ !Self.isManifest($0.name) }) + manifests {
                    guard let local = Self.localPath(for: item.name, under: self.folder) else {
                        if refused.insert(item.name).inserted {
                            self.logger.warning(
                                "not mirroring a blob whose name would leave the outputs folder",
                                metadata: ["blob": "\(item.name)"]
                            )
                        }
                        continue
                    }
                    try FileManager.default.createDirectory(
                        atPath: (local as NSString).deletingLastPathComponent,
                        withIntermediateDirectories: true
                    )
                    _ = try await self.container.blob(item.name).download(to: local)
                    mirrored[item.name] = Mirrored(eTag: item.properties.eTag, size: item.properties.contentLength)
                    if Self.isManifest(item.name) {
                        self.reportFinished(manifestAt: local, name: item.name)
                    }
                }
                if !changed.isEmpty { self.saveState(mirrored) }
            } catch let error as StorageError where error.isNotFound {
                // The container does not exist yet, or a blob was replaced while listing: next pass.
            } catch {
                self.logger.warning(
                    "could not mirror the output container; will try again",
                    metadata: ["error": "\(error)"]
                )
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }

    /// What the one line per finished file needs from its `_manifest.json`.
    struct ManifestSummary: Decodable {
        struct Source: Decodable { var blob: String }
        struct Output: Decodable { var size: Int64 }
        struct Timings: Decodable {
            var download: Double
            var process: Double
            var upload: Double
        }
        var source: Source
        var outputs: [Output]
        var timings: Timings
    }

    /// `hello.txt: done in 0.42 s, 2 outputs (1.2 KiB) in outputs/hello.txt/`.
    private func reportFinished(manifestAt local: String, name: String) {
        let folder = self.folder + "/" + (name as NSString).deletingLastPathComponent + "/"
        // A success after a replay: the failure note of the earlier attempt no longer applies.
        try? FileManager.default.removeItem(atPath: folder + "_failed.txt")
        guard let data = FileManager.default.contents(atPath: local),
            let manifest = try? JSONDecoder().decode(ManifestSummary.self, from: data)
        else {
            self.logger.notice("outputs ready in \(folder)")
            return
        }
        let timings = manifest.timings
        let took =
            self.dropTimes?.takeElapsed(manifest.source.blob).map { HumanText.duration($0) + " from the drop" }
            ?? HumanText.seconds(timings.download + timings.process + timings.upload)
        let size = manifest.outputs.reduce(Int64(0)) { $0 + $1.size }
        self.logger.notice(
            "\(manifest.source.blob): done in \(took), \(HumanText.count(manifest.outputs.count, "output")) (\(HumanText.bytes(size))) in \(folder)"
        )
    }

    /// Whether the local copy of `item` is there with the blob's size (what a restart can check
    /// cheaply; the ETag in the state file says the content is the one mirrored).
    private func isMirrored(_ item: BlobListItem) -> Bool {
        guard let local = Self.localPath(for: item.name, under: self.folder),
            let attributes = try? FileManager.default.attributesOfItem(atPath: local),
            let size = attributes[.size] as? NSNumber
        else { return false }
        return size.int64Value == item.properties.contentLength
    }

    private func loadState() -> [String: Mirrored] {
        guard let stateFile = self.stateFile, let data = FileManager.default.contents(atPath: stateFile),
            let state = try? JSONDecoder().decode([String: Mirrored].self, from: data)
        else { return [:] }
        return state
    }

    private func saveState(_ state: [String: Mirrored]) {
        guard let stateFile = self.stateFile, let data = try? JSONEncoder().encode(state) else { return }
        try? data.write(to: URL(fileURLWithPath: stateFile), options: .atomic)
    }

    static func isManifest(_ name: String) -> Bool {
        name == "_manifest.json" || name.hasSuffix("/_manifest.json")
    }

    /// `folder/name` when every segment of `name` is an ordinary file name; nil otherwise.
    static func localPath(for name: String, under folder: String) -> String? {
        let segments = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.hasPrefix("/"), !name.contains("\0"),
            segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
        else { return nil }
        return folder + "/" + name
    }
}
