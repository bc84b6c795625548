import Foundation
import Glibc
import Logging
import StorageClient
import StorageCore

/// Runs one azcopy command to its end in pipe mode, in the engine's ``AzCopyHome`` (azcopy's
/// `HOME`, its log and job plan folders, which stay empty in pipe mode), with its stderr in a file
/// of its own there that is removed afterwards however the run ends: success, failure or
/// cancellation. The folder goes when the last run in progress ends.
///
/// azcopy runs through ``ChildProcess``: in a process group of its own, with blobflow's end of a
/// pipe as stdout (download) or of a socket pair as stdin (upload), stopped with SIGTERM (then
/// SIGKILL) when the calling task is cancelled.
struct AzCopyRunner: Sendable {
    let executable: String
    let home: AzCopyHome
    let inheritedEnvironment: [String: String]
    let concurrency: Int?
    let autoLoginType: String?
    let killGracePeriod: Duration
    let logger: Logger

    /// Flags every pipe-mode run gets: no log file (pipe mode logs no requests, and its errors
    /// only reach the exit status) and no version check over the network.
    static let pipeArguments = ["--log-level", "NONE", "--skip-version-check"]

    /// Where the bytes of a pipe-mode run go or come from.
    enum Stream: Sendable {
        /// azcopy's stdout into a new file at this path (`--from-to BlobPipe`), hashed on the way
        /// when `hashing`.
        case download(to: String, hashing: Bool)
        /// This file into azcopy's stdin (`--from-to PipeBlob`).
        case upload(from: String)
    }

    /// How a pipe-mode run ended.
    struct PipedRun: Sendable {
        /// How azcopy ended.
        var termination: AppTermination
        /// The bytes blobflow moved, or why it stopped.
        var moved: Result<AzCopyPipe.Moved, AzCopyPipe.Failure>
        /// What azcopy wrote to stderr (pipe mode prints no messages of its own, so this is a Go
        /// panic or a start-up failure when anything), scrubbed, last lines only.
        var stderr: [String]

        /// Whether azcopy exited with status 0 and blobflow moved every byte.
        var succeeded: Bool {
            if case .success = self.moved, self.termination == .exited(0) { return true }
            return false
        }
    }

    /// Runs `azcopy <arguments>` in pipe mode, moving `stream`'s bytes itself on a thread of its
    /// own while azcopy runs. When blobflow cannot move the bytes (a local file it cannot read or
    /// write), azcopy is stopped at once rather than left to take a short stream for the whole
    /// file. Throws `CancellationError` when the task was cancelled (after azcopy has ended), an
    /// ``AzCopyError`` when azcopy cannot start.
    func runPiped(_ arguments: [String], stream: Stream, scrubber: SecretScrubber) async throws -> PipedRun {
        try Task.checkCancellation()
        let folder = try self.home.enter()
        defer { self.home.leave() }
        let outputFile = folder + "/stderr-" + String(UInt64.random(in: 0...UInt64.max), radix: 16) + ".txt"
        defer { unlink(outputFile) }
        var invocation = AppInvocation(
            executable: self.executable,
            arguments: ["azcopy"] + arguments,
            environment: AzCopyEnvironment.build(
                inherited: self.inheritedEnvironment,
                runFolder: folder,
                concurrency: self.concurrency,
                autoLoginType: self.autoLoginType
            ),
            workingDirectory: folder,
            logFile: outputFile
        )
        let mine: Int32
        do {
            switch stream {
            case .download:
                let ends = try AzCopyPipe.makePipe()
                mine = ends.read
                invocation.standardOutput = ends.write
            case .upload:
                let ends = try AzCopyPipe.makeSocketPair()
                mine = ends.mine
                invocation.standardInput = ends.azcopys
            }
        } catch {
            throw AzCopyError(.workFolder, message: "\(error)")
        }
        defer { close(mine) }
        let prepared = invocation

        enum Outcome: Sendable {
            case ended(Result<AppTermination, any Error>)
            case moved(Result<AzCopyPipe.Moved, AzCopyPipe.Failure>)
        }
        let killGracePeriod = self.killGracePeriod
        let started = ContinuousClock.now
        var termination: Result<AppTermination, any Error>?
        var moved: Result<AzCopyPipe.Moved, AzCopyPipe.Failure>?
        await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    return .ended(.success(try await ChildProcess.run(prepared, killGracePeriod: killGracePeriod)))
                } catch {
                    return .ended(.failure(error))
                }
            }
            group.addTask {
                switch stream {
                case .download(let path, let hashing):
                    return .moved(await AzCopyPipe.receive(from: mine, into: path, hashing: hashing))
                case .upload(let path): return .moved(await AzCopyPipe.send(file: path, to: mine))
                }
            }
            for await outcome in group {
                switch outcome {
                case .ended(let result):
                    termination = result
                case .moved(let result):
                    moved = result
                    // azcopy must not go on with a stream blobflow could not finish. (When azcopy
                    // stopped reading, it is ending by itself.)
                    if case .failure(.localFile) = result, termination == nil { group.cancelAll() }
                }
            }
        }
        guard let termination, let moved else {
            throw AzCopyError(.incomplete, message: "azcopy's run ended without an outcome")
        }
        let ended: AppTermination
        switch termination {
        case .success(let value):
            ended = value
        case .failure(let error as SpawnError):
            throw AzCopyError(.notStartable, message: "\(error)")
        case .failure(let error as LocalFileError):
            throw AzCopyHome.failure(error, doing: "create azcopy's output file")
        case .failure(let error):
            // Stopped for a local failure of blobflow's own: report that, not the stop.
            if case .failure(let failure) = moved, !Task.isCancelled, case .localFile = failure {
                return PipedRun(termination: .signalled(SIGTERM), moved: moved, stderr: [])
            }
            self.logger.debug("azcopy was stopped: the transfer was cancelled")
            throw error is CancellationError ? error : CancellationError()
        }
        let stderr = String(decoding: LocalFiles.tail(of: outputFile, limit: 4096), as: UTF8.self)
            .split(whereSeparator: \.isNewline).suffix(5).map { scrubber.scrub(String($0.prefix(500))) }
        let seconds = (ContinuousClock.now - started).fractionalSeconds
        self.logger.debug("azcopy finished", metadata: ["seconds": "\(seconds.formattedSeconds)", "ended": "\(ended)"])
        return PipedRun(termination: ended, moved: moved, stderr: Array(stderr))
    }
}
