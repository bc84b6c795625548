import StorageHTTP

/// Sends a request to a token endpoint, retrying busy or failing replies and broken
/// connections as a ``TokenRequestRetryPolicy`` says.
struct TokenEndpointClient: Sendable {
    let httpClient: any HTTPExecutor
    let retryPolicy: TokenRequestRetryPolicy

    /// Statuses worth retrying at Microsoft Entra ID and App Service: timeouts, throttling and
    /// transient server failures (not 501 Not Implemented or 505).
    static let transientStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    /// Sends `request` until it gets a reply whose status is not in `retryStatuses`, the
    /// connection fails in a way that is not transient, or the retries run out.
    ///
    /// - Returns: the last reply (whatever its status), or the last connection failure.
    /// - Throws: only errors that are not an ``HTTPTransportError``, such as `CancellationError`.
    func send(_ request: HTTPRequest, retryStatuses: Set<Int>) async throws -> Result<HTTPResponse, HTTPTransportError>
    {
        var request = request
        if request.timeout == nil { request.timeout = self.retryPolicy.attemptTimeout }
        var retry = 0
        while true {
            let outcome: Result<HTTPResponse, HTTPTransportError>
            do {
                outcome = .success(try await self.httpClient.execute(request))
            } catch let error as HTTPTransportError {
                outcome = .failure(error)
            }
            let status: Int?
            let retryAfter: String?
            switch outcome {
            case .success(let response):
                guard retryStatuses.contains(response.status) else { return outcome }
                status = response.status
                retryAfter = response.header("Retry-After")
            case .failure(let error):
                guard error.isTransient else { return outcome }
                status = nil
                retryAfter = nil
            }
            retry += 1
            guard retry <= self.retryPolicy.maxRetries else { return outcome }
            try await Task.sleep(
                for: self.retryPolicy.delay(beforeRetry: retry, status: status, retryAfter: retryAfter)
            )
        }
    }
}
