import BlobEvents
import Logging
import Processing
import StorageClient
import StorageCore
import Tracing

/// The halves of a job every app runner shares: staging the event's blob as a local file, and
/// publishing what the app wrote (its files, its log, then the manifest) next to the source's name
/// in the output container. Failures come out as ``ProcessingFailure``s with the reasons the
/// consumer acts on.
struct StagingSteps: Sendable {
    /// The blob on local disk.
    struct StagedInput: Sendable {
        /// The local file.
        let path: String
        /// Its name inside the input folder (see ``SafeFileName``).
        let fileName: String
        /// How long the download took (0 when an earlier attempt's file was kept).
        let seconds: Double
        /// Whether this attempt downloaded it.
        let downloaded: Bool
    }

    /// Where outputs go.
    struct Destination: Sendable {
        /// The output container.
        let container: String
        /// The prefix of every output name ("" for none).
        let prefix: String
        /// The input prefix removed from the source's name.
        let inputPrefix: String
    }

    /// What the manifest says about the run besides its outputs.
    struct RunSummary: Sendable {
        let processor: String
        let attempt: Int
        let exitCode: Int32
        let downloadSeconds: Double
        let processSeconds: Double
    }

    /// What publishing uploaded.
    struct Published: Sendable {
        /// Every blob written, the app's files first, then the log, the manifest last.
        let outputs: [ProcessingOutput]
        /// How long it took.
        let seconds: Double
    }

    /// App outputs uploaded at once (each may itself use parallel blocks).
    static let uploadConcurrency = 4

    /// Moves the event's blob and the app's files.
    let engine: any TransferEngine
    /// Uploads blobflow's own records of the run: the app's log and the manifest (see
    /// ``AppJob/recordEngine``).
    let recordEngine: any TransferEngine
    let item: BlobWorkItem
    let layout: WorkLayout
    let logger: Logger

    // MARK: Input

    /// Downloads the event's blob version into the input folder, unless an attempt that got at
    /// least as far as `downloaded` left the complete file there.
    func stageInput(resumeFrom: ProcessingStep?) async throws -> StagedInput {
        try await withSpan("download") { span in
            span.attributes["blobflow.bytes"] = Int(self.item.contentLength)
            return try await self.download(resumeFrom: resumeFrom)
        }
    }

    private func download(resumeFrom: ProcessingStep?) async throws -> StagedInput {
        let fileName = SafeFileName.forBlob(self.item.blobName)
        let path = self.layout.inputFile(named: fileName)
        if let resumeFrom, resumeFrom >= .downloaded,
            LocalFiles.kind(at: path) == .regular(size: self.item.contentLength)
        {
            self.logger.info(
                "input kept from an earlier attempt",
                metadata: ["step": "download", "seconds": "0.000", "bytes": "\(self.item.contentLength)"]
            )
            return StagedInput(path: path, fileName: fileName, seconds: 0, downloaded: false)
        }
        let started = ContinuousClock.now
        do {
            // A new download makes any earlier run's outputs stale.
            try LocalFiles.removeTree(self.layout.processedMarker)
            try LocalFiles.recreateDirectory(self.layout.inputDirectory)
        } catch {
            throw Self.localFailure(error, doing: "prepare the input folder")
        }
        let downloaded: DownloadedFile
        do {
            downloaded = try await self.engine.download(BlobSource(self.item), to: path)
        } catch {
            throw Self.downloadFailure(error, item: self.item)
        }
        let onDisk = LocalFiles.kind(at: path)
        guard downloaded.size == self.item.contentLength, onDisk == .regular(size: self.item.contentLength) else {
            throw ProcessingFailure(
                .permanent,
                reason: "size-mismatch",
                message:
                    "the event said \(self.item.container)/\(self.item.blobName) has \(self.item.contentLength) bytes, "
                    + "but version \(self.item.eTag) has \(downloaded.size)"
                    + (onDisk == .regular(size: downloaded.size) ? "" : " (and the local file differs)")
            )
        }
        let seconds = (ContinuousClock.now - started).fractionalSeconds
        self.logger.info(
            "downloaded the input",
            metadata: ["step": "download", "seconds": "\(seconds.formattedSeconds)", "bytes": "\(downloaded.size)"]
        )
        return StagedInput(path: path, fileName: fileName, seconds: seconds, downloaded: true)
    }

    // MARK: Outputs

    /// Uploads every file under `output/`, then the app's log, then the manifest. Refuses the
    /// whole output when it holds anything but files and folders.
    func publish(to destination: Destination, requireOutputs: Bool, summary: RunSummary) async throws -> Published {
        try await withSpan("upload") { span in
            let published = try await self.upload(to: destination, requireOutputs: requireOutputs, summary: summary)
            span.attributes["blobflow.outputs"] = published.outputs.count
            return published
        }
    }

    private func upload(
        to destination: Destination,
        requireOutputs: Bool,
        summary: RunSummary
    ) async throws -> Published {
        let started = ContinuousClock.now
        let files: [OutputFile]
        do {
            files = try OutputTree.files(in: self.layout.outputDirectory)
        } catch .unsafe(let relativePath, let what) {
            throw ProcessingFailure(
                .permanent,
                reason: "unsafe-output",
                message:
                    "output/\(relativePath) is \(what); only regular files and folders are uploaded, and nothing was"
            )
        } catch .unreadable(let error) {
            throw ProcessingFailure(
                .retryable,
                reason: "upload-failed",
                message: "cannot read the output folder: \(error)"
            )
        }
        if requireOutputs, files.isEmpty {
            throw ProcessingFailure(
                .permanent,
                reason: "no-outputs",
                message: "the app exited 0 but wrote nothing to its output folder, and outputs are required"
            )
        }
        let relativeName = OutputNaming.relativeName(of: self.item.blobName, inputPrefix: destination.inputPrefix)
        let base = OutputNaming.base(outputPrefix: destination.prefix, relativeName: relativeName)
        let reserved: Set<String> = [OutputNaming.logName, OutputNaming.manifestName]
        if let clash = files.first(where: { reserved.contains($0.relativePath) }) {
            throw ProcessingFailure(
                .permanent,
                reason: "reserved-output-name",
                message:
                    "output/\(clash.relativePath) would be overwritten by blobflow's own \(clash.relativePath); rename it"
            )
        }

        let uploaded = try await self.uploadConcurrently(files, base: base, container: destination.container)
        var log = self.layout.logFile
        switch LocalFiles.kind(at: log) {
        case .regular: break
        case nil:
            do {
                try LocalFiles.writeNewFile(log, [])
            } catch {
                throw Self.localFailure(error, doing: "create the app log")
            }
        case .directory, .symbolicLink, .special:
            // The app replaced its log with something else; upload an explanation instead.
            log = self.layout.root + "/.app-log-replaced"
            do {
                try LocalFiles.writeNewFile(
                    log,
                    Array("app.log was replaced by something other than a regular file; it was not uploaded\n".utf8)
                )
            } catch {
                throw Self.localFailure(error, doing: "write the app log note")
            }
        }
        let logOutput = try await self.upload(
            log,
            as: OutputNaming.join([base, OutputNaming.logName]),
            container: destination.container,
            contentType: "text/plain",
            engine: self.recordEngine
        )
        let uploadSeconds = (ContinuousClock.now - started).fractionalSeconds

        let manifest = Manifest(
            processor: summary.processor,
            source: .init(
                container: self.item.container,
                blob: self.item.blobName,
                eTag: EntityTag.unquoted(self.item.eTag),
                contentLength: self.item.contentLength,
                eventId: self.item.eventID
            ),
            outputs: uploaded.map { .init(name: $0.name, size: $0.size, md5: $0.md5) },
            log: .init(name: logOutput.name, size: logOutput.size, md5: logOutput.md5),
            exitCode: summary.exitCode,
            timings: .init(download: summary.downloadSeconds, process: summary.processSeconds, upload: uploadSeconds),
            attempt: summary.attempt,
            completedAt: Manifest.timestamp()
        )
        let manifestBytes = try manifest.encoded()
        do {
            try LocalFiles.writeNewFile(self.layout.manifestFile, manifestBytes)
        } catch {
            throw Self.localFailure(error, doing: "write the manifest")
        }
        let manifestOutput = try await self.upload(
            self.layout.manifestFile,
            as: OutputNaming.join([base, OutputNaming.manifestName]),
            container: destination.container,
            contentType: "application/json",
            engine: self.recordEngine
        )
        let outputs = uploaded + [logOutput, manifestOutput]
        let seconds = (ContinuousClock.now - started).fractionalSeconds
        self.logger.info(
            "uploaded the outputs",
            metadata: [
                "step": "upload", "seconds": "\(seconds.formattedSeconds)",
                "bytes": "\(outputs.reduce(0) { $0 + $1.size })", "outputs": "\(outputs.count)",
            ]
        )
        return Published(outputs: outputs, seconds: seconds)
    }

    /// Uploads the app's files, a few at a time, returning them in name order.
    private func uploadConcurrently(
        _ files: [OutputFile],
        base: String,
        container: String
    ) async throws -> [ProcessingOutput] {
        try await withThrowingTaskGroup(of: (Int, ProcessingOutput).self) { group in
            var results = [ProcessingOutput?](repeating: nil, count: files.count)
            var next = 0
            func start(_ index: Int) {
                let file = files[index]
                group.addTask {
                    let output = try await self.upload(
                        file.path,
                        as: OutputNaming.join([base, file.relativePath]),
                        container: container,
                        contentType: ContentTypes.guess(forFileName: file.relativePath)
                    )
                    return (index, output)
                }
            }
            while next < min(Self.uploadConcurrency, files.count) {
                start(next)
                next += 1
            }
            while let (index, output) = try await group.next() {
                results[index] = output
                if next < files.count {
                    start(next)
                    next += 1
                }
            }
            return results.compactMap { $0 }
        }
    }

    /// Uploads one file with the metadata that links it to its source.
    private func upload(
        _ path: String,
        as blobName: String,
        container: String,
        contentType: String,
        engine: (any TransferEngine)? = nil
    ) async throws -> ProcessingOutput {
        do {
            return try await (engine ?? self.engine).upload(
                file: path,
                to: blobName,
                container: container,
                contentType: contentType,
                metadata: self.sourceMetadata
            )
        } catch {
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            throw ProcessingFailure(
                .retryable,
                reason: "upload-failed",
                message: "cannot upload \(container)/\(blobName): \(error)"
            )
        }
    }

    /// Metadata on every output naming the blob version and event it came from (ASCII only, as
    /// metadata must be: the blob name is percent-encoded).
    var sourceMetadata: [String: String] {
        [
            "blobflow_source_container": PercentEncoding.encode(self.item.container, keepSlash: true),
            "blobflow_source_blob": PercentEncoding.encode(self.item.blobName, keepSlash: true),
            "blobflow_source_etag": PercentEncoding.encode(EntityTag.unquoted(self.item.eTag), keepSlash: true),
            "blobflow_event_id": PercentEncoding.encode(self.item.eventID, keepSlash: true),
        ]
    }

    // MARK: Failures

    /// A download error as the consumer should act on it.
    static func downloadFailure(_ error: any Error, item: BlobWorkItem) -> any Error {
        if error is CancellationError || Task.isCancelled { return CancellationError() }
        let blob = "\(item.container)/\(item.blobName)"
        if let error = error as? StorageError {
            if error.isNotFound {
                return ProcessingFailure(
                    .permanent,
                    reason: "blob-not-found",
                    message: "\(blob) no longer exists (deleted after the event was raised): \(error)"
                )
            }
            if error.isConditionNotMet {
                return ProcessingFailure(
                    .permanent,
                    reason: "blob-replaced",
                    message: "\(blob) version \(item.eTag): \(error)"
                )
            }
            if error.isDiskFull {
                return ProcessingFailure(
                    .retryable,
                    reason: "disk-full",
                    message:
                        "the work folder's disk has no room for \(blob) (\(item.contentLength) bytes); free space or give the work folder a larger volume: \(error)"
                )
            }
        }
        return ProcessingFailure(.retryable, reason: "download-failed", message: "cannot download \(blob): \(error)")
    }

    /// A staging-folder error: `disk-full` when the disk is, else `work-directory`; both retryable.
    static func localFailure(_ error: LocalFileError, doing what: String) -> ProcessingFailure {
        if error.isDiskFull {
            return ProcessingFailure(
                .retryable,
                reason: "disk-full",
                message: "the work folder's disk is full; cannot \(what): \(error)"
            )
        }
        return ProcessingFailure(.retryable, reason: "work-directory", message: "cannot \(what): \(error)")
    }
}
