/// Everything needed to start an app once: the program, its arguments, environment, working
/// directory and log file. The command processor builds one from its template; a container
/// runner builds one that starts `docker run`.
struct AppInvocation: Sendable {
    /// The absolute path of the program.
    var executable: String
    /// The arguments, the first being the program's name as it should see it (`argv[0]`).
    var arguments: [String]
    /// The whole environment.
    var environment: [String: String]
    /// The working directory.
    var workingDirectory: String
    /// Where stdout and stderr are appended; stdin is `/dev/null`.
    var logFile: String
}
