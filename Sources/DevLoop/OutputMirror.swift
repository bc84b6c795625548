import Foundation
public import Logging
public import ServiceLifecycle
public import StorageClient

/// Keeps a local folder in step with a container: every new or changed blob is downloaded under
/// its name: the "watch outputs appear" half of `blobflow dev`.
///
/// Blob names that could escape the folder (`..` or `.` segments, an absolute path, empty
/// segments, NUL) are refused with a warning, never written.
public struct OutputMirror: Service {
    let container: BlobContainerClient
    let folder: String
    let interval: Duration
    let logger: Logger

    /// Creates a mirror listing the container every `interval`.
    public init(container: BlobContainerClient, folder: String, interval: Duration = .milliseconds(500), logger: Logger) {
        self.container = container
        self.folder = folder
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try FileManager.default.createDirectory(atPath: self.folder, withIntermediateDirectories: true)
        var mirrored: [String: String] = [:]
        var refused: Set<String> = []
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                var changed: [BlobListItem] = []
                for try await page in self.container.listBlobs() {
                    changed += page.blobs.filter { mirrored[$0.name] != $0.properties.eTag }
                }
                // Manifests last, as blobflow uploads them: when one appears locally, so has the rest.
                let manifests = changed.filter { Self.isManifest($0.name) }
                for item in changed.filter({ !Self.isManifest($0.name) }) + manifests {
                    guard let local = Self.localPath(for: item.name, under: self.folder) else {
                        if refused.insert(item.name).inserted {
                            self.logger.warning("not mirroring a blob whose name would leave the outputs folder", metadata: ["blob": "\(item.name)"])
                        }
                        continue
                    }
                    try FileManager.default.createDirectory(atPath: (local as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    _ = try await self.container.blob(item.name).download(to: local)
                    mirrored[item.name] = item.properties.eTag
                    if Self.isManifest(item.name) {
                        let base = (item.name as NSString).deletingLastPathComponent
                        self.logger.notice("outputs ready", metadata: ["folder": "\(self.folder)/\(base)"])
                    }
                }
            } catch let error as StorageError where error.isNotFound {
                // The container does not exist yet, or a blob was replaced while listing: next pass.
            } catch {
                self.logger.warning("could not mirror the output container; will try again", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
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
