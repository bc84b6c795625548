import Foundation
import Glibc
import Synchronization

/// A program that could not be spawned, with the system's reason.
struct SpawnError: Error, Sendable, CustomStringConvertible {
    /// The program.
    let path: String
    /// The system's error number.
    let errno: Int32

    /// Whether the program itself is the problem (missing, not executable, not a binary or script
    /// the kernel can run), as opposed to a passing shortage such as too many processes.
    var isNotStartable: Bool {
        [ENOENT, EACCES, ENOEXEC, ENOTDIR, ELOOP, EISDIR, ENAMETOOLONG, EPERM].contains(self.errno)
    }

    var description: String { "cannot start '\(self.path)': \(String(cString: strerror(self.errno)))" }
}

/// Runs an app to its end as the leader of a process group of its own, so the app and everything
/// it started can be signalled together.
///
/// Waiting happens on a dedicated thread (`waitid`), never on the cooperative pool. When the
/// calling task is cancelled the group gets SIGTERM, then SIGKILL once the grace period has passed,
/// and the call throws `CancellationError` after the app has been reaped. When the app's own
/// process ends, whatever it left running in its group is killed, so nothing keeps writing to
/// the output folder while it is uploaded.
///
/// A program whose work outlives its process group (a container engine's client: the container
/// runs under the engine) is given a ``Stop``: on cancellation it runs first, and the group is
/// signalled only when the program has not ended by itself some time after it.
enum ChildProcess {
    /// How a cancelled program is stopped when signalling its process group is not enough.
    struct Stop: Sendable {
        /// Stops the program's work (a container runner stops and removes its container); runs on a
        /// task of its own, and the call waits for it.
        var request: @Sendable () async -> Void
        /// How long the program has to end by itself once ``request`` returned before its group
        /// gets SIGTERM (and SIGKILL after the grace period).
        var patience: Duration
        /// Runs after the program was reaped, when it had to be signalled: cleans up what it may
        /// have started after ``request`` ran.
        var afterSignals: @Sendable () async -> Void
    }

    /// Starts `invocation` and waits for it to end; on cancellation stops it as `stop` says (nil:
    /// signal its group at once), then throws `CancellationError`.
    static func run(
        _ invocation: AppInvocation,
        killGracePeriod: Duration,
        stop: Stop? = nil
    ) async throws -> AppTermination {
        let handedOver = [invocation.standardInput, invocation.standardOutput].compactMap { $0 }
        let pid: pid_t
        do {
            defer {
                for descriptor in handedOver { close(descriptor) }
            }
            try Task.checkCancellation()
            let log = try LocalFiles.openForAppending(invocation.logFile)
            defer { close(log) }
            pid = try Self.spawn(invocation, output: log)
        }
        let watch = ProcessWatch(pid: pid, killGracePeriod: killGracePeriod)
        let termination = await withTaskCancellationHandler {
            await watch.end()
        } onCancel: {
            watch.terminate(using: stop)
        }
        if watch.wasTerminated {
            await watch.stopRequestFinished()
            if let stop, watch.wasSignalled { await stop.afterSignals() }
            throw CancellationError()
        }
        return termination
    }

    /// `posix_spawn` with stdin from `/dev/null` (or the invocation's own), stdout and stderr to
    /// `output` (stdout to the invocation's own when it has one), no other
    /// descriptors inherited, every signal at its default disposition and none blocked, in a new
    /// process group.
    private static func spawn(_ invocation: AppInvocation, output: Int32) throws(SpawnError) -> pid_t {
        func check(_ result: Int32) throws(SpawnError) {
            if result != 0 { throw SpawnError(path: invocation.executable, errno: result) }
        }
        var actions = posix_spawn_file_actions_t()
        try check(posix_spawn_file_actions_init(&actions))
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        try check(posix_spawnattr_init(&attributes))
        defer { posix_spawnattr_destroy(&attributes) }

        if let input = invocation.standardInput {
            try check(posix_spawn_file_actions_adddup2(&actions, input, 0))
        } else {
            try check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0))
        }
        try check(posix_spawn_file_actions_adddup2(&actions, invocation.standardOutput ?? output, 1))
        try check(posix_spawn_file_actions_adddup2(&actions, output, 2))
        guard let addChangeDirectory = SpawnExtensions.addChangeDirectory else {
            throw SpawnError(path: invocation.executable, errno: ENOSYS)
        }
        try check(invocation.workingDirectory.withCString { addChangeDirectory(&actions, $0) })
        if let addCloseFrom = SpawnExtensions.addCloseFrom {
            try check(addCloseFrom(&actions, 3))
        }

        try check(
            posix_spawnattr_setflags(
                &attributes,
                Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
            )
        )
        try check(posix_spawnattr_setpgroup(&attributes, 0))
        var noneBlocked = sigset_t()
        sigemptyset(&noneBlocked)
        try check(posix_spawnattr_setsigmask(&attributes, &noneBlocked))
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal: Int32 in 1..<32 where signal != SIGKILL && signal != SIGSTOP {
            sigaddset(&defaults, signal)
        }
        try check(posix_spawnattr_setsigdefault(&attributes, &defaults))

        let arguments = invocation.arguments.map { strdup($0) } + [nil]
        let environment =
            invocation.environment.sorted { $0.key < $1.key }.map { strdup($0.key + "=" + $0.value) } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in environment { free(pointer) }
        }
        var pid = pid_t()
        try check(posix_spawn(&pid, invocation.executable, &actions, &attributes, arguments, environment))
        return pid
    }
}

/// glibc's spawn extensions (2.29 and 2.34), which its headers only declare under `_GNU_SOURCE`,
/// looked up at run time.
private enum SpawnExtensions {
    typealias AddChangeDirectory =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// `posix_spawn_file_actions_addchdir_np`: the child's working directory.
    static let addChangeDirectory: AddChangeDirectory? = Self.lookUp(
        "posix_spawn_file_actions_addchdir_np",
        as: AddChangeDirectory.self
    )
    /// `posix_spawn_file_actions_addclosefrom_np`: close every descriptor from a number on.
    static let addCloseFrom: AddCloseFrom? = Self.lookUp(
        "posix_spawn_file_actions_addclosefrom_np",
        as: AddCloseFrom.self
    )

    private static func lookUp<Function>(_ name: String, as type: Function.Type) -> Function? {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }
}

/// One running app: waits for it on its own thread and signals its process group, never after it
/// has been reaped (so a recycled process id is never signalled).
private final class ProcessWatch: Sendable {
    private struct State {
        var exited = false
        var terminated = false
        var signalled = false
        var killTimer: Task<Void, Never>?
        var stopRequest: Task<Void, Never>?
    }

    let pid: pid_t
    let killGracePeriod: Duration
    private let state = Mutex(State())

    init(pid: pid_t, killGracePeriod: Duration) {
        self.pid = pid
        self.killGracePeriod = killGracePeriod
    }

    /// Whether ``terminate(using:)`` started stopping the app before it ended.
    var wasTerminated: Bool { self.state.withLock { $0.terminated } }
    /// Whether the app's group was signalled before it ended.
    var wasSignalled: Bool { self.state.withLock { $0.signalled } }

    /// Waits for the app to end, on a thread of its own.
    func end() async -> AppTermination {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: self.waitUntilEnded()) }
            thread.name = "blobflow-wait-\(self.pid)"
            thread.start()
        }
    }

    /// Without `stop`, signals the group now. With it, runs its request first and signals the group
    /// only when the app is still running its patience after that.
    func terminate(using stop: ChildProcess.Stop?) {
        self.state.withLock { state in
            guard !state.exited, !state.terminated else { return }
            state.terminated = true
            guard let stop else {
                self.signalGroup(&state)
                return
            }
            state.stopRequest = Task.detached { [self] in
                await stop.request()
                self.state.withLock { state in
                    guard !state.exited else { return }
                    state.killTimer = Task.detached { [self] in
                        try? await Task.sleep(for: stop.patience)
                        self.state.withLock { state in
                            if !state.exited { self.signalGroup(&state) }
                        }
                    }
                }
            }
        }
    }

    /// Waits until the stop request ``terminate(using:)`` started (if any) has returned.
    func stopRequestFinished() async {
        await self.state.withLock { $0.stopRequest }?.value
    }

    /// SIGTERM to the group now, SIGKILL after the grace period unless it has ended by then.
    private func signalGroup(_ state: inout State) {
        state.signalled = true
        kill(-self.pid, SIGTERM)
        let grace = self.killGracePeriod
        state.killTimer = Task.detached { [self] in
            try? await Task.sleep(for: grace)
            self.state.withLock { state in
                if !state.exited { kill(-self.pid, SIGKILL) }
            }
        }
    }

    private func waitUntilEnded() -> AppTermination {
        var info = siginfo_t()
        var result: Int32
        repeat {
            result = waitid(P_PID, id_t(self.pid), &info, WEXITED | WNOWAIT)
        } while result != 0 && errno == EINTR
        let waitError = result == 0 ? 0 : errno
        let timer = self.state.withLock { state in
            state.exited = true
            // The leader is still a zombie, so its group id cannot have been reused yet.
            if waitError == 0 { kill(-self.pid, SIGKILL) }
            return state.killTimer
        }
        timer?.cancel()
        var status: Int32 = 0
        repeat {
            result = waitpid(self.pid, &status, 0)
        } while result < 0 && errno == EINTR
        return result == self.pid ? AppTermination(waitStatus: status) : .lost(waitError != 0 ? waitError : errno)
    }
}
