/// The environment an app runs with: the daemon's own (unless turned off) without its secrets,
/// plus the configured variables, plus the `BLOBFLOW_*` description of the job.
enum AppEnvironment {
    /// Variables never passed on, whatever their spelling elsewhere.
    static let strippedNames: Set<String> = [
        "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_SAS_TOKEN", "IDENTITY_HEADER", "AZURE_CLIENT_SECRET",
    ]
    /// An inherited variable whose name contains one of these (in any case) is taken for a secret.
    static let secretMarkers = ["KEY", "SECRET", "TOKEN", "PASSWORD", "CONNECTION_STRING"]
    /// Where programs are looked for when the environment has no `PATH`.
    static let defaultSearchPath = "/usr/local/bin:/usr/bin:/bin"

    /// Whether an inherited variable may hold a credential and must not reach the app.
    static func isSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        return Self.strippedNames.contains(upper) || Self.secretMarkers.contains { upper.contains($0) }
    }

    /// The app's environment: `inherited` without secrets (when `inherit` is on), then
    /// `configured` (the operator's own choice, passed as given), then `job`, which wins. A `PATH`
    /// is supplied when none of them has one. Names that are empty or contain `=` or NUL are dropped.
    static func build(inherited: [String: String], inherit: Bool, configured: [String: String], job: [String: String]) -> [String: String] {
        var environment = inherit ? inherited.filter { !Self.isSecret($0.key) } : [:]
        environment.merge(configured) { _, new in new }
        environment.merge(job) { _, new in new }
        if environment["PATH"] == nil { environment["PATH"] = Self.defaultSearchPath }
        return environment.filter { !$0.key.isEmpty && !$0.key.contains("=") && !$0.key.contains("\0") && !$0.value.contains("\0") }
    }
}
