import Glibc
import Logging
import Processing
import StorageCore
import Tracing

/// The `processed` step for any way of starting an app (a local command, a container): a fresh
/// output folder, the run itself with blobflow's lines around it in `app.log`, the exit status
/// turned into success or a ``ProcessingFailure``, and the marker a resumed attempt trusts.
struct AppRunStep: Sendable {
    let layout: WorkLayout
    let killGracePeriod: Duration
    let logger: Logger

    /// Whether an earlier attempt finished the run and left its outputs: resuming from
    /// `processed` or later, with the marker and the output folder in place.
    func finishedEarlier(resumeFrom: ProcessingStep?) -> Bool {
        guard let resumeFrom, resumeFrom >= .processed else { return false }
        guard case .regular = LocalFiles.kind(at: self.layout.processedMarker) else { return false }
        return LocalFiles.kind(at: self.layout.outputDirectory) == .directory
    }

    /// Empties the output folder and forgets any earlier run; call before ``run(_:attempt:)``.
    func prepare() throws(ProcessingFailure) {
        do {
            try LocalFiles.removeTree(self.layout.processedMarker)
            try LocalFiles.recreateDirectory(self.layout.outputDirectory)
        } catch {
            throw StagingSteps.localFailure(error, doing: "prepare the output folder")
        }
    }

    /// Runs the app `launcher` starts to its end; returns the seconds it took, or throws the
    /// failure its ending means (`CancellationError` when the task was cancelled and the app stopped).
    func run(_ launcher: some AppLauncher, attempt: Int) async throws -> Double {
        try await withSpan("run") { span in
            try await self.runApp(launcher, attempt: attempt, span: span)
        }
    }

    private func runApp(_ launcher: some AppLauncher, attempt: Int, span: any Span) async throws -> Double {
        let log = self.layout.logFile
        Self.appendToLog(
            log,
            "[blobflow] attempt \(attempt) at \(Manifest.timestamp()): starting \(launcher.displayName)"
        )
        let started = ContinuousClock.now
        let termination: AppTermination
        do {
            termination = try await ChildProcess.run(
                launcher.invocation,
                killGracePeriod: self.killGracePeriod,
                stop: launcher.stop
            )
        } catch is CancellationError {
            Self.appendToLog(
                log,
                "[blobflow] cancelled after \((ContinuousClock.now - started).fractionalSeconds.formattedSeconds) s; the app was stopped"
            )
            self.logger.notice("the app was stopped: the work was cancelled", metadata: ["step": "process"])
            throw CancellationError()
        } catch let error as SpawnError {
            throw launcher.failure(for: error)
        } catch let error as LocalFileError {
            throw StagingSteps.localFailure(error, doing: "open the app log")
        }
        let seconds = (ContinuousClock.now - started).fractionalSeconds
        span.attributes["blobflow.exit_status"] = termination.description
        if case .exited(let code) = termination { span.attributes["process.exit.code"] = Int(code) }
        Self.appendToLog(log, "[blobflow] the app \(termination) after \(seconds.formattedSeconds) s")
        await launcher.finished(termination)
        if let failure = launcher.failure(for: termination, logTail: LogTail.read(log)) {
            self.logger.warning(
                "the app failed",
                metadata: ["step": "process", "seconds": "\(seconds.formattedSeconds)", "reason": "\(failure.reason)"]
            )
            throw failure
        }
        do {
            try LocalFiles.writeNewFile(self.layout.processedMarker, Array("\(Manifest.timestamp())\n".utf8))
        } catch {
            throw StagingSteps.localFailure(error, doing: "record the finished run")
        }
        let written = (try? OutputTree.files(in: self.layout.outputDirectory))?.reduce(Int64(0)) { $0 + $1.size }
        self.logger.info(
            "the app succeeded",
            metadata: [
                "step": "process", "seconds": "\(seconds.formattedSeconds)",
                "bytes": "\(written.map { String($0) } ?? "unknown")",
            ]
        )
        return seconds
    }

    /// Adds a line of blobflow's own to the app log (best effort, never through a link).
    static func appendToLog(_ path: String, _ line: String) {
        guard let descriptor = try? LocalFiles.openForAppending(path) else { return }
        defer { close(descriptor) }
        try? LocalFiles.write(Array((line + "\n").utf8), to: descriptor, path: path)
    }
}
