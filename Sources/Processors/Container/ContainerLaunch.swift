import Glibc
import Processing
import StorageCore

/// A job's app in a container. blobflow spawns and waits for the engine's `run` client, which
/// streams the container's output into `app.log` and exits with the container's status; but the
/// container itself runs under the engine (conmon, dockerd), outside the client's process group,
/// so it is stopped through the engine.
///
/// On cancellation (a timeout, a lost lease, shutdown): `<engine> stop -t <grace> NAME`, then
/// `<engine> rm -f NAME`; the client, its container gone, then ends by itself and is reaped. A
/// client still running ``clientPatience`` later (cancelled while it was still creating the
/// container, which `stop` therefore missed) is signalled like any app, and the container is
/// removed once more after it ended. The container is started with `--stop-timeout` set to the
/// grace period too, so a stop the engine makes on its own (`rm -f` of a running container) gives
/// the app the same time. A client killed by someone else's signal also has its container removed.
///
/// The engine's own exit statuses come before the app contract: 125 (the engine failed: no such
/// image, a bad option, no daemon) is a retryable `engine-failed`; 126 and 127 (the command is not
/// executable, or not found in the image) are a permanent `app-not-startable`. An app should
/// therefore not exit 125 to 127 itself.
struct ContainerLaunch: AppLauncher {
    /// How long the client has to end by itself after its container was stopped and removed
    /// (it usually takes a fraction of a second).
    static let clientPatience: Duration = .seconds(3)
    /// How long `stop` (beyond the grace period) or `rm` may take before it is abandoned.
    static let engineCommandAllowance: Duration = .seconds(30)

    /// The engine's `run` command.
    let invocation: AppInvocation
    /// The container's name and labels.
    let identity: ContainerIdentity
    /// The image, for messages.
    let image: String
    /// The staged input file, made readable for whatever user the container runs as.
    let inputFile: String
    /// What `stop -t` gets, rounded up to whole seconds.
    let killGracePeriod: Duration

    var displayName: String { "container \(self.identity.name) (\(self.image)) with \(self.invocation.executable)" }

    var stop: ChildProcess.Stop? {
        let name = self.identity.name
        let graceSeconds = Self.wholeSeconds(self.killGracePeriod)
        let allowance = Self.engineCommandAllowance
        return ChildProcess.Stop(
            request: { [self] in
                await self.runEngine(
                    ["stop", "-t", String(graceSeconds), name],
                    limit: .seconds(graceSeconds) + allowance
                )
                await self.runEngine(["rm", "-f", name], limit: allowance)
            },
            patience: Self.clientPatience,
            afterSignals: { [self] in
                await self.runEngine(["rm", "-f", name], limit: allowance)
            }
        )
    }

    /// Opens the mounts to the container's user, whoever the image makes it: the output folder
    /// writable by all, the input readable by all. The job's folder is closed to everyone else on
    /// the host instead (the container reaches its mounts without passing through it). Best
    /// effort: a file system that ignores modes (a CIFS share) gets its modes from its mount options.
    func prepareFolders(_ layout: WorkLayout) throws(ProcessingFailure) {
        Self.setMode(layout.root, 0o700)
        Self.setMode(layout.inputDirectory, 0o755)
        Self.setMode(self.inputFile, 0o644)
        Self.setMode(layout.outputDirectory, 0o777)
    }

    func failure(for termination: AppTermination, logTail: String) -> ProcessingFailure? {
        let log = logTail.isEmpty ? "; app.log is empty" : "; last lines of app.log:\n" + logTail
        switch termination {
        case .exited(125):
            return ProcessingFailure(
                .retryable,
                reason: "engine-failed",
                message:
                    "the container engine could not run \(self.image) (\(self.invocation.executable) exited with status 125)"
                    + log
            )
        case .exited(126):
            return ProcessingFailure(
                .permanent,
                reason: "app-not-startable",
                message: "the container's command cannot be executed in \(self.image) (status 126)" + log
            )
        case .exited(127):
            return ProcessingFailure(
                .permanent,
                reason: "app-not-startable",
                message: "the container's command was not found in \(self.image) (status 127)" + log
            )
        case .exited(let code) where code > 128 && code < 128 + 32:
            guard var failure = termination.failure(logTail: logTail) else { return nil }
            failure.message +=
                "\n(status \(code) is 128 + \(code - 128): the app was killed by signal \(code - 128)"
                + (code == 128 + SIGKILL ? "; with a memory limit, often for using more" : "") + ")"
            return failure
        default:
            return termination.failure(logTail: logTail)
        }
    }

    func failure(for error: SpawnError) -> ProcessingFailure {
        ProcessingFailure(.retryable, reason: "engine-failed", message: "cannot start the container engine: \(error)")
    }

    func finished(_ termination: AppTermination) async {
        guard case .exited = termination else {
            // The client was killed from outside; its container may still be running.
            await self.runEngine(["rm", "-f", self.identity.name], limit: Self.engineCommandAllowance)
            return
        }
    }

    /// Runs `<engine> ARGUMENTS` to its end, or abandons it after `limit`, with a line about it and
    /// its output in the app log. It runs on a task of its own: the work being cancelled is the
    /// reason it runs, and must not cut it short.
    private func runEngine(_ arguments: [String], limit: Duration) async {
        enum Ending: Sendable {
            case ended(AppTermination)
            case failed(String)
            case abandoned
        }
        let command = AppInvocation(
            executable: self.invocation.executable,
            arguments: [self.invocation.arguments[0]] + arguments,
            environment: self.invocation.environment,
            workingDirectory: self.invocation.workingDirectory,
            logFile: self.invocation.logFile
        )
        let shown = ([command.executable] + arguments).joined(separator: " ")
        AppRunStep.appendToLog(command.logFile, "[blobflow] \(shown)")
        let ending = await Task.detached {
            await withTaskGroup(of: Ending.self) { group in
                group.addTask {
                    do {
                        return .ended(try await ChildProcess.run(command, killGracePeriod: .seconds(1)))
                    } catch {
                        return Task.isCancelled ? .abandoned : .failed("\(error)")
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: limit)
                    return .abandoned
                }
                let first = await group.next() ?? .abandoned
                group.cancelAll()
                return first
            }
        }.value
        switch ending {
        case .ended(let termination):
            AppRunStep.appendToLog(command.logFile, "[blobflow] \(arguments[0]) \(termination)")
        case .failed(let error): AppRunStep.appendToLog(command.logFile, "[blobflow] \(arguments[0]) failed: \(error)")
        case .abandoned:
            AppRunStep.appendToLog(command.logFile, "[blobflow] \(arguments[0]) did not end within \(limit); abandoned")
        }
    }

    /// `duration` in whole seconds, rounded up, as the engines' `-t` and `--stop-timeout` take it.
    static func wholeSeconds(_ duration: Duration) -> Int {
        max(0, Int(duration.fractionalSeconds.rounded(.up)))
    }

    /// Sets the mode of what is at `path`, never through a symbolic link; failures are ignored.
    private static func setMode(_ path: String, _ mode: mode_t) {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = fchmod(descriptor, mode)
    }
}
