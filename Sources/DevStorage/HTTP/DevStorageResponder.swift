import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StorageCore

/// Answers every request of one service: parses it, injects a configured fault if one is drawn,
/// dispatches to the service and turns any failure into Azure's error response.
struct DevStorageResponder: HTTPResponder {
    typealias Context = DevStorageRequestContext

    let service: StorageService
    let queues: QueueService
    let blobs: BlobService
    let faults: FaultInjector?
    let logger: Logger

    func respond(to request: Request, context: Context) async throws -> Response {
        let requestID = UUIDText.random()
        let started = ContinuousClock.now
        let version = request.headers[.xMsVersion]
        var operation = "Unknown"
        var response: Response
        do {
            let storageRequest = try StorageRequest(
                service: self.service,
                request: request,
                requestID: requestID,
                clientAddress: context.clientAddress
            )
            operation =
                self.service == .blob
                ? BlobService.operationName(storageRequest) : QueueService.operationName(storageRequest)
            if let faults, let fault = faults.fault(for: operation) {
                let response = try await self.inject(
                    fault,
                    faults: faults,
                    request: storageRequest,
                    operation: operation
                )
                self.log(request, operation: operation, response: response, started: started, requestID: requestID)
                return response
            }
            switch self.service {
            case .blob: response = try await self.blobs.handle(storageRequest, operation: operation, body: request.body)
            case .queue:
                response = try await self.queues.handle(storageRequest, operation: operation, body: request.body)
            }
            if let clientRequestID = request.headers[.xMsClientRequestID] {
                response.headers[.xMsClientRequestID] = clientRequestID
            }
        } catch let error as StorageServiceError {
            response = StorageResponse.error(error, requestID: requestID, method: request.method, version: version)
            if let clientRequestID = request.headers[.xMsClientRequestID] {
                response.headers[.xMsClientRequestID] = clientRequestID
            }
        } catch {
            response = StorageResponse.error(
                .internalError("\(error)"),
                requestID: requestID,
                method: request.method,
                version: version
            )
        }
        self.log(request, operation: operation, response: response, started: started, requestID: requestID)
        return response
    }

    private func inject(
        _ fault: FaultPlan.Kind,
        faults: FaultInjector,
        request: StorageRequest,
        operation: String
    ) async throws -> Response {
        self.logger.info(
            "injecting fault",
            metadata: ["operation": "\(operation)", "fault": "\(fault.rawValue)", "request_id": "\(request.requestID)"]
        )
        switch fault {
        case .internalError:
            return StorageResponse.error(
                .operationTimedOut(),
                requestID: request.requestID,
                method: request.method,
                version: request.header("x-ms-version")
            )
        case .serverBusy:
            return StorageResponse.error(
                .serverBusy(retryAfter: faults.retryAfterSeconds),
                requestID: request.requestID,
                method: request.method,
                version: request.header("x-ms-version")
            )
        case .hang:
            try? await Task.sleep(for: .seconds(faults.hangSeconds))
            return Self.droppedConnection(request)
        case .drop:
            return Self.droppedConnection(request)
        }
    }

    /// A response that promises a body and then fails, so the server closes the connection and
    /// the client sees a transport error rather than an HTTP status. A HEAD reply has no body to
    /// fail, so there the fault becomes a 500 (still a transient failure the client must retry)
    /// rather than a well-formed 200 missing its headers.
    private static func droppedConnection(_ request: StorageRequest) -> Response {
        if request.method == .head {
            return StorageResponse.error(
                .operationTimedOut(),
                requestID: request.requestID,
                method: request.method,
                version: request.header("x-ms-version")
            )
        }
        return Self.bodyThatFails(request)
    }

    private static func bodyThatFails(_ request: StorageRequest) -> Response {
        var headers = StorageResponse.headers(requestID: request.requestID, version: request.header("x-ms-version"))
        headers[.contentLength] = "1024"
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody(contentLength: 1024) { _ in
                throw InjectedDrop()
            }
        )
    }

    private struct InjectedDrop: Error {}

    private static func tenths(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// The request log: at debug level one line per request (at warning level for 5xx answers),
    /// `METHOD PATH -> STATUS [ERROR-CODE] (request REQUEST-ID, N ms)`, the path with any SAS
    /// signature removed. The time is until the response head is ready; a streamed body may take
    /// longer to send.
    private func log(
        _ request: Request,
        operation: String,
        response: Response,
        started: ContinuousClock.Instant,
        requestID: String
    ) {
        let status = response.status
        guard self.logger.logLevel <= .debug || status.code >= 500 else { return }
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.fractionalSeconds * 1000
        let errorCode = response.headers[.xMsErrorCode]
        let path = SecretRedaction.redactQuery(request.head.path ?? "/")
        let code = errorCode.map { " " + $0 } ?? ""
        self.logger.log(
            level: status.code >= 500 ? .warning : .debug,
            "\(request.method.rawValue) \(path) -> \(status.code)\(code) (request \(requestID), \(Self.tenths(milliseconds)) ms)",
            metadata: [
                "service": "\(self.service.rawValue)", "operation": "\(operation)", "status": "\(status.code)",
                "error_code": "\(errorCode ?? "")", "duration_ms": "\(Self.tenths(milliseconds))",
                "request_id": "\(requestID)",
            ]
        )
    }
}
