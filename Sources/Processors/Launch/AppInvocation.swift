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
    /// Where stderr (and stdout, unless ``standardOutput`` is set) is appended.
    var logFile: String
    /// A descriptor the program reads as stdin instead of `/dev/null` (one end of a pipe or socket
    /// pair). ``ChildProcess`` closes it in this process once the program has started, or failed to.
    var standardInput: Int32? = nil
    /// A descriptor the program writes stdout to instead of ``logFile``, closed like
    /// ``standardInput``.
    var standardOutput: Int32? = nil
}
