import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a program cannot be started.
public struct ProgramNotStartable: Error, Sendable, CustomStringConvertible {
    /// The program as configured, or the path tried.
    public let path: String
    /// Why not.
    public let reason: String

    public var description: String { "cannot start '\(self.path)': \(self.reason)" }
}

/// Finds the executables blobflow runs (the app, azcopy, the container engine) before anything is
/// spawned, so a missing or non-executable program is reported as such. Settings use it to check
/// the configuration; the processors to start the programs.
public enum ProgramLocator {
    /// The search path when the environment has no `PATH`.
    public static let defaultSearchPath = "/usr/local/bin:/usr/bin:/bin"

    /// The azcopy to run: `explicitPath` when given, else `BLOBFLOW_AZCOPY` from `environment`,
    /// else `azcopy` in `environment`'s `PATH`. Returns nil when the first of these that is set
    /// does not name an executable file: a configured azcopy that is missing is not silently
    /// replaced by another.
    public static func locateAzCopy(explicitPath: String?, environment: [String: String]) -> String? {
        let chosen = [explicitPath, environment["BLOBFLOW_AZCOPY"]].compactMap { $0 }.first { !$0.isEmpty } ?? "azcopy"
        let searchPath = environment["PATH"] ?? Self.defaultSearchPath
        return try? Self.locate(
            chosen,
            searchPath: searchPath,
            currentDirectory: FileManager.default.currentDirectoryPath
        )
    }

    /// The container engine to use: `preferred` (a path, or a name looked up in `environment`'s
    /// `PATH`) when one is given, else `podman`, else `docker`. Returns nil when none is found; a
    /// preferred engine that is not found is not replaced by another.
    public static func locateContainerEngine(preferred: String?, environment: [String: String]) -> String? {
        let searchPath = environment["PATH"] ?? Self.defaultSearchPath
        let candidates = preferred.map { $0.isEmpty ? ["podman", "docker"] : [$0] } ?? ["podman", "docker"]
        for candidate in candidates {
            if let path = try? Self.locate(
                candidate,
                searchPath: searchPath,
                currentDirectory: FileManager.default.currentDirectoryPath
            ) {
                return path
            }
        }
        return nil
    }

    /// The absolute path of `program`: a path with a `/` is taken as is (relative to the daemon's
    /// working directory); a bare name is looked up in `searchPath` (`PATH` syntax).
    public static func locate(
        _ program: String,
        searchPath: String,
        currentDirectory: String
    ) throws(ProgramNotStartable) -> String {
        guard !program.isEmpty else { throw ProgramNotStartable(path: program, reason: "no program is configured") }
        if program.contains("/") {
            let path = program.hasPrefix("/") ? program : currentDirectory + "/" + program
            if let problem = Self.problem(with: path) { throw ProgramNotStartable(path: path, reason: problem) }
            return path
        }
        var firstProblem: (path: String, reason: String)?
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let folder = directory.isEmpty ? currentDirectory : String(directory)
            let path = folder + "/" + program
            guard let problem = Self.problem(with: path) else { return path }
            if firstProblem == nil, problem != "no such file" { firstProblem = (path, problem) }
        }
        if let firstProblem { throw ProgramNotStartable(path: firstProblem.path, reason: firstProblem.reason) }
        throw ProgramNotStartable(path: program, reason: "not found in PATH (\(searchPath))")
    }

    /// Why `path` cannot be executed, or nil when it can.
    private static func problem(with path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return errno == ENOENT || errno == ENOTDIR ? "no such file" : String(cString: strerror(errno))
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return "not a regular file" }
        guard access(path, X_OK) == 0 else { return "not executable" }
        return nil
    }
}
