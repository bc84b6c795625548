public import Logging
import StorageAuth
import StorageCore
public import StorageHTTP

/// Turns a ``StorageOperation`` into authorized HTTP requests, sends them, retries what is worth
/// retrying, and maps error replies to ``StorageError``.
///
/// Credentials go only to the account's own endpoints: a URL never comes from a message or an
/// event, only from the configured account plus an encoded path.
public struct StoragePipeline: Sendable {
    /// The account requests go to.
    public let account: StorageAccount
    /// The HTTP transport.
    public let http: any HTTPExecutor
    /// Retry behaviour.
    public let retry: RetryPolicy
    /// Where retries and failures are logged (never with secrets).
    public let logger: Logger
    private let tokens: TokenSource?

    /// The REST API version sent with every request.
    public static let apiVersion = "2025-05-05"

    /// Creates a pipeline.
    public init(
        account: StorageAccount,
        http: any HTTPExecutor,
        retry: RetryPolicy = .default,
        logger: Logger = Logger(label: "blobflow.storage")
    ) {
        self.account = account
        self.http = http
        self.retry = retry
        self.logger = logger
        if case .token(let credential) = account.credential {
            self.tokens = TokenSource(credential: credential)
        } else {
            self.tokens = nil
        }
    }

    /// Sends the operation, retrying per policy; returns a 2xx reply or throws ``StorageError``
    /// (or `CancellationError` when the calling task is cancelled).
    func send(_ operation: StorageOperation) async throws -> HTTPResponse {
        let clientRequestID = Self.newRequestID()
        var attempt = 0
        while true {
            attempt += 1
            let outcome: Result<HTTPResponse, StorageError>
            var retryAfter: Int?
            var mayRetry: Bool
            do {
                let request = try await self.request(for: operation, clientRequestID: clientRequestID)
                let response = try await self.http.execute(
                    request,
                    destination: operation.destination,
                    progress: operation.progress
                )
                if response.isSuccess || (attempt > 1 && operation.successOnRetry.contains(response.status)) {
                    return response
                }
                let error = Self.serviceError(operation.name, response)
                outcome = .failure(error)
                retryAfter = response.header("retry-after").flatMap { Int($0.trimmingCharacters(in: " ")) }
                switch operation.safety {
                case .idempotent, .duplicatesTolerated:
                    mayRetry = RetryPolicy.retryableStatuses.contains(response.status)
                case .unsafe:
                    mayRetry = response.status == 429 || response.status == 503
                }
            } catch let error as HTTPTransportError {
                outcome = .failure(.transport(operation: operation.name, error))
                switch operation.safety {
                case .idempotent, .duplicatesTolerated: mayRetry = error.isTransient
                case .unsafe: mayRetry = error.requestNeverSent && error.isTransient
                }
            } catch let error as StorageError {
                outcome = .failure(error)
                mayRetry = false
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                outcome = .failure(.configuration(operation: operation.name, message: "\(error)"))
                mayRetry = false
            }
            guard case .failure(let error) = outcome else { continue }
            guard mayRetry, attempt < self.retry.maxAttempts, !Task.isCancelled else {
                throw error.with(attempts: attempt)
            }
            let delay = self.retry.delay(afterAttempt: attempt, retryAfter: retryAfter)
            self.logger.debug(
                "retrying storage operation",
                metadata: [
                    "operation": "\(operation.name)",
                    "attempt": "\(attempt)",
                    "delay_ms":
                        "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
                    "error": "\(error)",
                ]
            )
            try await Task.sleep(for: delay)
        }
    }

    /// The full URL of a path on one of the account's services, without any credential.
    func url(_ service: StorageOperation.Service, path: String, query: [(name: String, value: String)] = []) -> String {
        let base = service == .blob ? self.account.blobEndpoint : self.account.queueEndpoint
        var url = base + path
        if !query.isEmpty {
            url +=
                "?"
                + query.map { PercentEncoding.encode($0.name) + "=" + PercentEncoding.encode($0.value) }.joined(
                    separator: "&"
                )
        }
        return url
    }

    private func request(for operation: StorageOperation, clientRequestID: String) async throws -> HTTPRequest {
        var query = operation.query
        if case .sas(let token) = self.account.credential {
            query.append(contentsOf: PercentEncoding.queryItems(token))
        }
        var request = HTTPRequest(
            method: operation.method,
            url: self.url(operation.service, path: operation.encodedPath, query: query),
            headers: operation.headers,
            body: operation.body,
            timeout: self.retry.perTryTimeout
        )
        request.setHeader("x-ms-version", Self.apiVersion)
        request.setHeader("x-ms-date", StorageDate.now().rfc1123)
        request.setHeader("x-ms-client-request-id", clientRequestID)

        switch self.account.credential {
        case .sharedKey(let key):
            let base = operation.service == .blob ? self.account.blobEndpoint : self.account.queueEndpoint
            var signed = request.headers
            let method = operation.method.uppercased()
            if method == "PUT" || method == "POST" || operation.body.length > 0 {
                signed.append(("Content-Length", String(operation.body.length)))
            }
            let canonical = CanonicalRequest(
                method: method,
                encodedPath: StorageAccount.pathOf(base)
                    + (operation.encodedPath.isEmpty ? "/" : operation.encodedPath),
                query: query,
                headers: signed
            )
            request.setHeader("Authorization", SharedKeyAuthorization.authorization(canonical, key: key))
        case .token:
            let token = try await self.tokens!.token()
            request.setHeader("Authorization", "Bearer " + token)
        case .sas, .anonymous:
            break
        }
        return request
    }

    static func serviceError(_ operation: String, _ response: HTTPResponse) -> StorageError {
        let details = BlobXML.errorDetails(response.body)
        let code = response.header("x-ms-error-code") ?? details?.code
        var message = details?.message ?? Self.reason(response.status)
        if let extra = details?.extra["AuthenticationErrorDetail"] { message += " (\(extra))" }
        return .service(
            operation: operation,
            status: response.status,
            errorCode: code,
            requestID: response.header("x-ms-request-id"),
            message: message
        )
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 400: "bad request"
        case 403: "access denied"
        case 404: "not found"
        case 409: "conflict"
        case 412: "a condition was not met"
        case 416: "the range is not satisfiable"
        case 429: "too many requests"
        case 500: "the service had an internal error"
        case 503: "the service is busy"
        default: "the service answered HTTP \(status)"
        }
    }

    private static func newRequestID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        let a = hex(high >> 32, 8)
        let b = hex((high >> 16) & 0xFFFF, 4)
        let c = hex(0x4000 | (high & 0x0FFF), 4)
        let d = hex(0x8000 | ((low >> 48) & 0x3FFF), 4)
        let e = hex(low & 0xFFFF_FFFF_FFFF, 12)
        return "\(a)-\(b)-\(c)-\(d)-\(e)"
    }
}

extension StoragePipeline {
    /// A client for a queue of this account.
    public func queue(_ name: String) -> QueueClient {
        QueueClient(name: name, pipeline: self)
    }

    /// A client for a blob container of this account.
    public func container(_ name: String) -> BlobContainerClient {
        BlobContainerClient(name: name, pipeline: self)
    }
}
