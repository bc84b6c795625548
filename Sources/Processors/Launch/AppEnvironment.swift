import BlobEvents
import Processing
import StorageCore

/// The environment an app runs with: the daemon's own (unless turned off) without its secrets,
/// plus the configured variables, plus the `BLOBFLOW_*` description of the job.
enum AppEnvironment {
    /// Variables never passed on, whatever their spelling elsewhere.
    static let strippedNames: Set<String> = [
        "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_SAS_TOKEN", "IDENTITY_HEADER",
        "AZURE_CLIENT_SECRET",
    ]
    /// An inherited variable whose name contains one of these (in any case) is taken for a secret.
    static let secretMarkers = ["KEY", "SECRET", "TOKEN", "PASSWORD", "CONNECTION_STRING"]
    /// Where programs are looked for when the environment has no `PATH`.
    static let defaultSearchPath = ProgramLocator.defaultSearchPath

    /// Whether an inherited variable may hold a credential and must not reach the app.
    static func isSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        return Self.strippedNames.contains(upper) || Self.secretMarkers.contains { upper.contains($0) }
    }

    /// The app's environment: `inherited` without secrets (when `inherit` is on), then
    /// `configured` (the operator's own choice, passed as given), then `job`, which wins. A `PATH`
    /// is supplied when none of them has one. Names that are empty or contain `=` or NUL are dropped.
    static func build(
        inherited: [String: String],
        inherit: Bool,
        configured: [String: String],
        job: [String: String]
    ) -> [String: String] {
        var environment = inherit ? inherited.filter { !Self.isSecret($0.key) } : [:]
        environment.merge(configured) { _, new in new }
        environment.merge(job) { _, new in new }
        if environment["PATH"] == nil { environment["PATH"] = Self.defaultSearchPath }
        return environment.filter {
            !$0.key.isEmpty && !$0.key.contains("=") && !$0.key.contains("\0") && !$0.value.contains("\0")
        }
    }

    /// The `BLOBFLOW_*` variables describing a job, with the input and output paths as the app
    /// sees them, and `TRACEPARENT` (the event's trace context) when traces are exported.
    /// `BLOBFLOW_BLOB_URL` is built from `blobEndpoint` without anything after its `?` (a SAS
    /// never reaches the app), and left out when there is no endpoint.
    static func job(
        _ job: ProcessingJob,
        inputPath: String,
        outputDirectory: String,
        blobEndpoint: String?
    ) -> [String: String] {
        var environment = [
            "BLOBFLOW_INPUT": inputPath,
            "BLOBFLOW_OUTPUT_DIR": outputDirectory,
            "BLOBFLOW_BLOB_NAME": job.item.blobName,
            "BLOBFLOW_CONTAINER": job.item.container,
            "BLOBFLOW_EVENT_ID": job.item.eventID,
            "BLOBFLOW_CONTENT_TYPE": job.item.contentType,
            "BLOBFLOW_ATTEMPT": String(job.attempt),
        ]
        environment.merge(TraceContextEnvironment.current()) { _, new in new }
        if let blobEndpoint {
            var base = Substring(blobEndpoint.prefix { $0 != "?" })
            while base.hasSuffix("/") { base = base.dropLast() }
            if !base.isEmpty {
                environment["BLOBFLOW_BLOB_URL"] =
                    base + "/" + PercentEncoding.encode(job.item.container, keepSlash: true) + "/"
                    + PercentEncoding.encode(job.item.blobName, keepSlash: true)
            }
        }
        return environment
    }
}
