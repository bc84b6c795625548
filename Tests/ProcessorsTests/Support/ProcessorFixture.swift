import BlobEvents
import DevStorage
import DevStorageTesting
import Foundation
import Glibc
import Logging
import Processing
import Processors
import StorageClient
import StorageHTTP
import Synchronization

/// A transfer engine that records every call, and can serve a blob the development server cannot
/// hold (a name with `..` segments) from another blob.
final class RecordingEngine: TransferEngine {
    let inner: NativeTransferEngine
    /// Event blob name -> the blob actually fetched.
    let redirects: [String: String]
    private let calls = Mutex<[String]>([])

    init(inner: NativeTransferEngine, redirects: [String: String] = [:]) {
        self.inner = inner
        self.redirects = redirects
    }

    /// `download <local path>` and `upload <blob name>` in call order.
    var recorded: [String] { self.calls.withLock { $0 } }
    var uploads: [String] { self.recorded.filter { $0.hasPrefix("upload ") }.map { String($0.dropFirst(7)) } }
    var downloads: [String] { self.recorded.filter { $0.hasPrefix("download ") }.map { String($0.dropFirst(9)) } }

    func download(_ source: BlobSource, to path: String) async throws -> DownloadedFile {
        self.calls.withLock { $0.append("download \(path)") }
        var source = source
        if let real = self.redirects[source.blobName] { source.blobName = real }
        return try await self.inner.download(source, to: path)
    }

    func upload(
        file path: String,
        to blobName: String,
        container: String,
        contentType: String?,
        metadata: [String: String]
    ) async throws -> ProcessingOutput {
        self.calls.withLock { $0.append("upload \(blobName)") }
        return try await self.inner.upload(
            file: path,
            to: blobName,
            container: container,
            contentType: contentType,
            metadata: metadata
        )
    }
}

/// The steps a processor reported through its context.
final class StepLog: Sendable {
    private let steps = Mutex<[String]>([])
    var reached: [String] { self.steps.withLock { $0 } }
    func record(_ step: String) { self.steps.withLock { $0.append(step) } }
}

/// A development server, an input and an output container, a scratch folder and helpers to
/// write apps and run the processor.
struct ProcessorFixture: Sendable {
    let pipeline: StoragePipeline
    let folder: String

    static let inputContainer = "input"
    static let outputContainer = "output"

    var workDirectory: String { self.folder + "/work" }
    var blobEndpoint: String { self.pipeline.account.blobEndpoint }
    var input: BlobContainerClient { self.pipeline.container(Self.inputContainer) }
    var output: BlobContainerClient { self.pipeline.container(Self.outputContainer) }

    /// Runs `body` with a fresh server and folder.
    static func with(_ body: @escaping @Sendable (ProcessorFixture) async throws -> Void) async throws {
        try await withDevStorage { endpoints in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "processors-\(UUID().uuidString)"
            ).path
            try FileManager.default.createDirectory(atPath: folder + "/work", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let pipeline = StoragePipeline(
                account: try StorageAccount(connectionString: endpoints.connectionString()),
                http: try CurlTransport()
            )
            let fixture = ProcessorFixture(pipeline: pipeline, folder: folder)
            try await fixture.input.createIfNotExists()
            try await fixture.output.createIfNotExists()
            try await body(fixture)
        }
    }

    /// An engine on the fixture's account.
    func engine(redirects: [String: String] = [:]) -> RecordingEngine {
        RecordingEngine(inner: NativeTransferEngine(pipeline: self.pipeline), redirects: redirects)
    }

    /// Writes an executable `/bin/sh` script into the scratch folder and returns its path.
    func script(_ name: String, _ body: String) throws -> String {
        let path = self.folder + "/" + name
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    /// A configuration running `script` with `sh`, outputs to the output container.
    func configuration(_ script: String, arguments: [String] = []) -> CommandProcessor.Configuration {
        var configuration = CommandProcessor.Configuration(command: ["/bin/sh", script] + arguments)
        configuration.outputContainer = Self.outputContainer
        configuration.killGracePeriod = .seconds(1)
        configuration.inheritedEnvironment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self.folder]
        return configuration
    }

    /// Uploads `bytes` as input blob `name` and returns the work item an event for it makes.
    func upload(_ name: String, _ bytes: [UInt8] = Array("input bytes\n".utf8)) async throws -> BlobWorkItem {
        let eTag = try await self.input.blob(name).upload(bytes, contentType: "text/plain")
        return self.item(name, eTag: eTag, contentLength: Int64(bytes.count))
    }

    /// A work item for `name`, as an event would describe it. Its URL names another host, which
    /// must never be contacted.
    func item(_ name: String, eTag: String, contentLength: Int64) -> BlobWorkItem {
        BlobWorkItem(
            eventID: "event-\(UUID().uuidString)",
            eventTime: "2025-01-01T00:00:00Z",
            schema: .eventGrid,
            api: "PutBlob",
            accountName: DevStorageConfiguration.developmentAccountName,
            container: Self.inputContainer,
            blobName: name,
            eTag: eTag,
            contentLength: contentLength,
            contentType: "text/plain",
            sequencer: "1",
            blobURL: "https://attacker.example/\(Self.inputContainer)/\(name)"
        )
    }

    /// Runs the processor once on `item`.
    func run(
        _ processor: CommandProcessor,
        _ item: BlobWorkItem,
        resumeFrom: ProcessingStep? = nil,
        attempt: Int = 1,
        steps: StepLog = StepLog()
    ) async throws -> ProcessingResult {
        let job = ProcessingJob(item: item, resumeFrom: resumeFrom, attempt: attempt, workDirectory: self.workDirectory)
        let context = ProcessingContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })) {
            step,
            _ in
            steps.record(step.rawValue)
        }
        return try await processor.process(job, context: context)
    }

    /// The failure `body` ends with, or nil when it succeeds or throws something else.
    func failure(_ body: () async throws -> ProcessingResult) async -> ProcessingFailure? {
        do {
            _ = try await body()
            return nil
        } catch let failure as ProcessingFailure {
            return failure
        } catch {
            return nil
        }
    }

    /// An output blob's content as text.
    func outputText(_ name: String) async throws -> String {
        String(decoding: try await self.output.blob(name).downloadBytes(), as: UTF8.self)
    }

    /// The local file's content as text, or nil.
    func localText(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Whether process `pid` has ended (gone, or a zombie nobody has reaped yet).
func processEnded(_ pid: pid_t) -> Bool {
    if kill(pid, 0) != 0 && errno == ESRCH { return true }
    guard
        let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat").map({ String(decoding: $0, as: UTF8.self) }
        ),
        let close = stat.lastIndex(of: ")")
    else { return true }
    return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}
