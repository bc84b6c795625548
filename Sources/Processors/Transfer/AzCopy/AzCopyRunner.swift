import Foundation
import Glibc
import Logging
import StorageClient

/// Runs one azcopy command to its end, in a folder of its own that holds azcopy's `HOME`, logs,
/// job plans (which contain the SAS) and output, and that is removed afterwards however the run
/// ends: success, failure or cancellation.
///
/// azcopy runs through ``ChildProcess``: in a process group of its own, with stdin from
/// `/dev/null`, stopped with SIGTERM (then SIGKILL) when the calling task is cancelled.
struct AzCopyRunner: Sendable {
    let executable: String
    let workDirectory: String
    let inheritedEnvironment: [String: String]
    let concurrency: Int?
    let autoLoginType: String?
    let killGracePeriod: Duration
    let logger: Logger

    /// Flags every run gets: machine-readable output, a log of warnings and errors only, no prompt
    /// (an existing destination is overwritten) and no version check over the network.
    static let commonArguments = ["--output-type", "json", "--log-level", "WARNING", "--overwrite", "true", "--skip-version-check"]

    /// Runs `azcopy <arguments>` and returns azcopy's report of its job when it copied exactly one
    /// file. Throws an ``AzCopyError`` (scrubbed of the signatures `scrubber` knows) when it did
    /// not, a `StorageError` with `isDiskFull` when the run folder cannot be made for lack of
    /// space, and `CancellationError` when the task was cancelled (after azcopy has ended).
    func run(_ arguments: [String], scrubber: SecretScrubber) async throws -> AzCopyJobSummary {
        try Task.checkCancellation()
        let folder = try self.makeRunFolder()
        defer { self.removeRunFolder(folder) }
        let outputFile = folder + "/output.jsonl"
        let invocation = AppInvocation(
            executable: self.executable,
            arguments: ["azcopy"] + arguments,
            environment: AzCopyEnvironment.build(
                inherited: self.inheritedEnvironment, runFolder: folder, concurrency: self.concurrency, autoLoginType: self.autoLoginType
            ),
            workingDirectory: folder,
            logFile: outputFile
        )
        let started = ContinuousClock.now
        let termination: AppTermination
        do {
            termination = try await ChildProcess.run(invocation, killGracePeriod: self.killGracePeriod)
        } catch is CancellationError {
            self.logger.debug("azcopy was stopped: the transfer was cancelled")
            throw CancellationError()
        } catch let error as SpawnError {
            throw AzCopyError(.notStartable, message: "\(error)")
        } catch let error as LocalFileError {
            throw Self.folderFailure(error, doing: "create azcopy's output file")
        }
        let output = AzCopyOutput.read(outputFile)
        if let failure = output.failure(termination: termination, logFindings: { Self.logFindings(in: folder, jobID: output.jobID) }) {
            throw failure.scrubbed(by: scrubber)
        }
        let seconds = (ContinuousClock.now - started).fractionalSeconds
        guard let summary = output.summary else { throw AzCopyError(.incomplete, message: "azcopy reported no end of its job") }
        self.logger.debug("azcopy finished its job", metadata: ["seconds": "\(seconds.formattedSeconds)", "bytes": "\(summary.totalBytesTransferred)"])
        return summary
    }

    /// A new folder of this run's own, readable only by the daemon's user, with the log and job
    /// plan folders inside.
    private func makeRunFolder() throws -> String {
        do {
            try LocalFiles.makeDirectory(self.workDirectory)
        } catch {
            throw Self.folderFailure(error, doing: "create azcopy's work folder")
        }
        for _ in 0..<8 {
            let folder = self.workDirectory + "/azcopy-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
            guard mkdir(folder, 0o700) == 0 else {
                if errno == EEXIST { continue }
                throw Self.folderFailure(LocalFileError(operation: "cannot create the folder", path: folder, errno: errno), doing: "create azcopy's run folder")
            }
            for inner in [AzCopyEnvironment.logFolder(in: folder), AzCopyEnvironment.planFolder(in: folder)] where mkdir(inner, 0o700) != 0 {
                let error = LocalFileError(operation: "cannot create the folder", path: inner, errno: errno)
                self.removeRunFolder(folder)
                throw Self.folderFailure(error, doing: "create azcopy's run folder")
            }
            return folder
        }
        throw AzCopyError(.workFolder, message: "cannot create a run folder of a new name in '\(self.workDirectory)'")
    }

    private func removeRunFolder(_ folder: String) {
        do {
            try LocalFiles.removeTree(folder)
        } catch {
            self.logger.warning("cannot remove azcopy's run folder; it may hold a SAS until it expires", metadata: ["error": "\(error)"])
        }
    }

    private static func folderFailure(_ error: LocalFileError, doing what: String) -> any Error {
        if error.isDiskFull {
            return StorageError.localFile(operation: "AzCopy", message: "cannot \(what): \(error)", diskFull: true)
        }
        return AzCopyError(.workFolder, message: "cannot \(what): \(error)")
    }

    /// The failures azcopy logged: from the job's log when its id is known, else from every log
    /// in the folder (a job that failed while scanning logs to `<id>-scanning.log`).
    private static func logFindings(in folder: String, jobID: String?) -> [String] {
        let logs = AzCopyEnvironment.logFolder(in: folder)
        var names = (try? FileManager.default.contentsOfDirectory(atPath: logs))?.filter { $0.hasSuffix(".log") }.sorted() ?? []
        if let jobID, names.contains(jobID + ".log") {
            names = [jobID + "-scanning.log", jobID + ".log"].filter(names.contains)
        }
        return Array(names.flatMap { AzCopyOutput.logFindings(logFile: logs + "/" + $0) }.suffix(4))
    }
}

extension AzCopyError {
    /// The same error with every SAS signature taken out of its text.
    func scrubbed(by scrubber: SecretScrubber) -> AzCopyError {
        AzCopyError(
            self.code, message: scrubber.scrub(self.message), jobStatus: self.jobStatus,
            transferErrorCodes: self.transferErrorCodes.map(scrubber.scrub), termination: self.termination
        )
    }
}
