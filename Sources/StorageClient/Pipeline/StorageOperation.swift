import StorageHTTP

/// One call to the storage REST API, before authorization: which service, path, query,
/// headers and body, and how the pipeline should treat its failures.
struct StorageOperation: Sendable {
    enum Service: Sendable { case blob, queue }

    /// Azure's operation name, used in errors and logs.
    var name: String
    var service: Service
    var method: String
    /// The path after the endpoint, percent-encoded, starting with `/` (or empty for the service root).
    var encodedPath: String
    /// Query parameters, not yet encoded.
    var query: [(name: String, value: String)] = []
    var headers: [(name: String, value: String)] = []
    var body: HTTPRequestBody = .empty
    var destination: HTTPResponseDestination = .memory
    var safety: RetrySafety = .idempotent
    /// Statuses that, on a retried attempt, mean the first attempt had already succeeded
    /// (404 for deletes).
    var successOnRetry: Set<Int> = []
    /// Reports body bytes moved; called on the transport's thread.
    var progress: (@Sendable (Int64) -> Void)?

    init(
        _ name: String,
        _ service: Service,
        _ method: String,
        path: String,
        query: [(name: String, value: String)] = []
    ) {
        self.name = name
        self.service = service
        self.method = method
        self.encodedPath = path
        self.query = query
    }
}
