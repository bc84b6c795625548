/// The environment azcopy runs with: a minimal one built afresh for every run, never the daemon's
/// (which may hold the account key or a connection string).
enum AzCopyEnvironment {
    /// Network settings azcopy needs to reach the account from where the daemon runs.
    static let networkNames = [
        "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    ]
    /// azcopy tuning an operator may set for the daemon.
    static let tuningNames = [
        "AZCOPY_BUFFER_GB", "AZCOPY_CONCURRENT_FILES", "AZCOPY_REQUEST_TRY_TIMEOUT", "AZCOPY_USER_AGENT_PREFIX",
        "AZCOPY_TUNE_TO_CPU",
    ]
    /// What azcopy's managed and workload identity sign-in read; passed only with auto login.
    static let identityNames = [
        "AZCOPY_MSI_CLIENT_ID", "AZCOPY_MSI_OBJECT_ID", "AZCOPY_MSI_RESOURCE_STRING", "AZCOPY_TENANT_ID",
        "AZCOPY_ACTIVE_DIRECTORY_ENDPOINT",
        "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT",
        "MSI_SECRET",
        "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST",
    ]
    /// The sign-in types azcopy is allowed to use by itself.
    static let autoLoginTypes: Set<String> = ["MSI", "WORKLOAD"]

    /// The environment of one run whose folder is `runFolder`: `PATH`, `HOME` (the run folder),
    /// the log and job plan folders inside it, the configured concurrency and sign-in, the Go
    /// runtime's memory settings, and the allowed variables from `inherited`.
    static func build(
        inherited: [String: String],
        runFolder: String,
        concurrency: Int?,
        autoLoginType: String?
    ) -> [String: String] {
        var environment: [String: String] = [:]
        var passed = Self.networkNames + Self.tuningNames
        if autoLoginType != nil { passed += Self.identityNames }
        for name in passed {
            if let value = inherited[name], !value.isEmpty, !value.contains("\0") { environment[name] = value }
        }
        environment["PATH"] =
            inherited["PATH"].flatMap { $0.isEmpty || $0.contains("\0") ? nil : $0 } ?? AppEnvironment.defaultSearchPath
        environment["HOME"] = runFolder
        environment["AZCOPY_LOG_LOCATION"] = Self.logFolder(in: runFolder)
        environment["AZCOPY_JOB_PLAN_LOCATION"] = Self.planFolder(in: runFolder)
        environment["AZCOPY_DISABLE_SYSLOG"] = "true"
        // A pipe-mode run lives a few milliseconds for a small file: Go's collector, started at
        // every 4 MiB of heap growth, was a quarter of its CPU. It runs only near the limit
        // instead, which also bounds azcopy's memory on large transfers.
        environment["GOGC"] = "off"
        environment["GOMEMLIMIT"] = Self.memoryLimit
        if let concurrency { environment["AZCOPY_CONCURRENCY_VALUE"] = String(concurrency) }
        if let autoLoginType { environment["AZCOPY_AUTO_LOGIN_TYPE"] = autoLoginType }
        return environment
    }

    /// The heap size at which azcopy's Go runtime collects garbage (`GOMEMLIMIT`); with `GOGC=off`
    /// it collects only there.
    static let memoryLimit = "64MiB"

    /// Where azcopy writes its logs during a run.
    static func logFolder(in runFolder: String) -> String { runFolder + "/logs" }
    /// Where azcopy writes its job plans (which hold the SAS) during a run.
    static func planFolder(in runFolder: String) -> String { runFolder + "/plans" }
}
