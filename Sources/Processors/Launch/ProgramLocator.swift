import Glibc

/// Why a program cannot be started.
struct ProgramNotStartable: Error, Sendable, CustomStringConvertible {
    /// The program as configured, or the path tried.
    let path: String
    /// Why not.
    let reason: String

    var description: String { "cannot start '\(self.path)': \(self.reason)" }
}

/// Finds the executable the command's first element names, before anything is spawned, so a
/// missing or non-executable program is reported as such.
enum ProgramLocator {
    /// The absolute path of `program`: a path with a `/` is taken as is (relative to the daemon's
    /// working directory); a bare name is looked up in `searchPath` (`PATH` syntax).
    static func locate(_ program: String, searchPath: String, currentDirectory: String) throws(ProgramNotStartable) -> String {
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
        guard stat(path, &info) == 0 else { return errno == ENOENT || errno == ENOTDIR ? "no such file" : String(cString: strerror(errno)) }
        guard info.st_mode & S_IFMT == S_IFREG else { return "not a regular file" }
        guard access(path, X_OK) == 0 else { return "not executable" }
        return nil
    }
}
