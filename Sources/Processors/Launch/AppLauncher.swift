import Processing

/// One way of starting the app for a job: the program to spawn, how it is stopped when the work is
/// cancelled, and what its ending means.
///
/// A local command is started as its ``AppInvocation`` says, with the defaults: its process group
/// is signalled, and its exit status follows the app contract (0 success, 65 permanent, anything
/// else retryable). A container runner spawns the engine's client instead, stops the container
/// through the engine, and reads the engine's own exit statuses first.
protocol AppLauncher: Sendable {
    /// What to spawn.
    var invocation: AppInvocation { get }
    /// What the app log's start line names.
    var displayName: String { get }
    /// How the spawned program is stopped on cancellation; nil signals its process group.
    var stop: ChildProcess.Stop? { get }

    /// Makes the staging folders usable by the app, after the output folder has been recreated.
    func prepareFolders(_ layout: WorkLayout) throws(ProcessingFailure)
    /// The failure an ending means, or nil for success; `logTail` is the end of the app log.
    func failure(for termination: AppTermination, logTail: String) -> ProcessingFailure?
    /// The failure a program that could not be spawned means.
    func failure(for error: SpawnError) -> ProcessingFailure
    /// Called once the program has ended by itself (not on cancellation), before its ending is read.
    func finished(_ termination: AppTermination) async
}

extension AppLauncher {
    var displayName: String { self.invocation.executable }
    var stop: ChildProcess.Stop? { nil }

    func prepareFolders(_ layout: WorkLayout) throws(ProcessingFailure) {}

    func failure(for termination: AppTermination, logTail: String) -> ProcessingFailure? {
        termination.failure(logTail: logTail)
    }

    func failure(for error: SpawnError) -> ProcessingFailure {
        ProcessingFailure(
            error.isNotStartable ? .permanent : .retryable,
            reason: error.isNotStartable ? "app-not-startable" : "app-spawn-failed",
            message: "\(error)"
        )
    }

    func finished(_ termination: AppTermination) async {}
}

/// A local program is started as it is described.
extension AppInvocation: AppLauncher {
    var invocation: AppInvocation { self }
}
