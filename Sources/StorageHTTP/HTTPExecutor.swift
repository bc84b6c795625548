/// Something that executes HTTP requests. ``CurlTransport`` is the real one; tests may wrap it.
public protocol HTTPExecutor: Sendable {
    /// Sends a request and waits for the complete response. Throws ``HTTPTransportError`` when no
    /// response arrived, and `CancellationError` when the calling task was cancelled (which aborts
    /// the transfer). An HTTP error status is a response, not a thrown error.
    ///
    /// - Parameter progress: called with the number of body bytes moved (sent or received) each
    ///   time some move; it runs on the transport's thread and must be quick.
    func execute(
        _ request: HTTPRequest,
        destination: HTTPResponseDestination,
        progress: (@Sendable (Int64) -> Void)?
    ) async throws -> HTTPResponse
}

extension HTTPExecutor {
    /// Sends a request and collects the response body in memory.
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await self.execute(request, destination: .memory, progress: nil)
    }
}
