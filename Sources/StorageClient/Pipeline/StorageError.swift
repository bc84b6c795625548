public import StorageHTTP

/// Any failure of a storage operation: an error reply from the service, a transport failure that
/// outlasted the retries, a reply that could not be decoded, or a failed integrity check.
///
/// It always names the operation and, when the service answered, the HTTP status, Azure's error
/// code and the request id to quote to Microsoft support. Its text never contains an account key,
/// a token or a SAS signature.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    private enum Kind: Sendable, Hashable {
        case service
        case transport
        case decoding
        case integrity
        case localFile
        case configuration
    }

    private let kind: Kind
    /// Azure's name for the operation (`GetMessages`, `PutBlock`, ...).
    public let operation: String
    /// The HTTP status of the service's reply, when there was one.
    public let status: Int?
    /// Azure's error code (`x-ms-error-code`), such as `QueueNotFound` or `ServerBusy`.
    public let errorCode: String?
    /// The service's request id (`x-ms-request-id`), for support cases and log correlation.
    public let requestID: String?
    /// What went wrong, in words.
    public let message: String
    /// How many times the request was sent.
    public let attempts: Int
    /// The transport failure behind a `transport` error.
    public let transportError: HTTPTransportError?

    private init(
        _ kind: Kind,
        operation: String,
        status: Int? = nil,
        errorCode: String? = nil,
        requestID: String? = nil,
        message: String,
        attempts: Int = 1,
        transportError: HTTPTransportError? = nil
    ) {
        self.kind = kind
        self.operation = operation
        self.status = status
        self.errorCode = errorCode
        self.requestID = requestID
        self.message = Redaction.redact(message)
        self.attempts = attempts
        self.transportError = transportError
    }

    /// The service answered with an error status.
    public static func service(
        operation: String,
        status: Int,
        errorCode: String?,
        requestID: String?,
        message: String,
        attempts: Int = 1
    ) -> Self {
        .init(
            .service,
            operation: operation,
            status: status,
            errorCode: errorCode,
            requestID: requestID,
            message: message,
            attempts: attempts
        )
    }

    /// No usable reply arrived.
    public static func transport(operation: String, _ error: HTTPTransportError, attempts: Int = 1) -> Self {
        .init(.transport, operation: operation, message: error.message, attempts: attempts, transportError: error)
    }

    /// The reply arrived but did not have the expected shape.
    public static func decoding(operation: String, requestID: String?, message: String) -> Self {
        .init(.decoding, operation: operation, requestID: requestID, message: message)
    }

    /// Transferred bytes did not match the size or MD5 the service reported.
    public static func integrity(operation: String, message: String) -> Self {
        .init(.integrity, operation: operation, message: message)
    }

    /// A local file could not be read or written (including a full disk).
    public static func localFile(operation: String, message: String, diskFull: Bool = false) -> Self {
        .init(.localFile, operation: operation, errorCode: diskFull ? "DiskFull" : nil, message: message)
    }

    /// The client was used or configured wrongly (bad names, missing credentials).
    public static func configuration(operation: String, message: String) -> Self {
        .init(.configuration, operation: operation, message: message)
    }

    /// The same error after `attempts` tries.
    func with(attempts: Int) -> Self {
        .init(
            self.kind,
            operation: self.operation,
            status: self.status,
            errorCode: self.errorCode,
            requestID: self.requestID,
            message: self.message,
            attempts: attempts,
            transportError: self.transportError
        )
    }

    /// 404: the queue, message, container or blob does not exist (or the pop receipt is stale).
    public var isNotFound: Bool { self.status == 404 }
    /// 409: the resource exists already or is in a conflicting state.
    public var isConflict: Bool { self.status == 409 }
    /// 412: an If-Match or similar condition failed (the blob changed).
    public var isConditionNotMet: Bool { self.status == 412 }
    /// The message was deleted, expired or re-leased by someone else: Delete or Update Message
    /// answered 404 MessageNotFound, or 400 PopReceiptMismatch (the development server and Azurite).
    public var isMessageGone: Bool {
        self.status == 404 || (self.status == 400 && self.errorCode == "PopReceiptMismatch")
    }
    /// A local disk ran out of space.
    public var isDiskFull: Bool {
        (self.kind == .localFile && self.errorCode == "DiskFull") || self.transportError?.isDiskFull == true
    }
    /// Whether trying the whole operation again later may succeed: throttling, server errors,
    /// timeouts, broken connections, a full disk and integrity failures are transient.
    public var isTransient: Bool {
        switch self.kind {
        case .service: RetryPolicy.retryableStatuses.contains(self.status ?? 0)
        case .transport: self.transportError?.isTransient ?? false
        case .integrity: true
        case .localFile: self.isDiskFull
        case .decoding, .configuration: false
        }
    }

    public var description: String {
        var text = "\(self.operation) failed"
        if let status = self.status { text += " with HTTP \(status)" }
        if let errorCode = self.errorCode { text += " \(errorCode)" }
        text += ": \(self.message)"
        if self.attempts > 1 { text += " (after \(self.attempts) attempts)" }
        if let requestID = self.requestID { text += " [request id \(requestID)]" }
        return text
    }
}
