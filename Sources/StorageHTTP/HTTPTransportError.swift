/// A request that got no usable HTTP response: the connection failed, timed out, was reset, or
/// the body could not be read or written locally.
public struct HTTPTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case couldNotResolve
        case couldNotConnect
        case timedOut
        case connectionLost
        case bodyTooLarge
        case localFile
        case invalidRequest
        case other
    }

    private let code: Code
    /// libcurl's result code, when libcurl reported the failure.
    public let curlCode: Int?
    /// What happened, in words; never contains the URL's query.
    public let message: String

    private init(_ code: Code, curlCode: Int?, message: String) {
        self.code = code
        self.curlCode = curlCode
        self.message = message
    }

    /// The host name did not resolve.
    public static func couldNotResolve(_ message: String, curlCode: Int? = nil) -> Self {
        .init(.couldNotResolve, curlCode: curlCode, message: message)
    }
    /// No connection could be made (refused, unreachable). The request was never sent.
    public static func couldNotConnect(_ message: String, curlCode: Int? = nil) -> Self {
        .init(.couldNotConnect, curlCode: curlCode, message: message)
    }
    /// The connect, stall or whole-request timeout passed.
    public static func timedOut(_ message: String, curlCode: Int? = nil) -> Self {
        .init(.timedOut, curlCode: curlCode, message: message)
    }
    /// The connection broke mid-exchange (reset, closed, incomplete body).
    public static func connectionLost(_ message: String, curlCode: Int? = nil) -> Self {
        .init(.connectionLost, curlCode: curlCode, message: message)
    }
    /// The response body exceeded what the destination allows.
    public static func bodyTooLarge(_ message: String) -> Self { .init(.bodyTooLarge, curlCode: nil, message: message) }
    /// Reading the request body from, or writing the response to, a local file failed.
    public static func localFile(_ message: String, errno: Int32) -> Self {
        .init(.localFile, curlCode: Int(errno), message: message)
    }
    /// The request could not be sent as given (bad URL, unsupported option).
    public static func invalidRequest(_ message: String, curlCode: Int? = nil) -> Self {
        .init(.invalidRequest, curlCode: curlCode, message: message)
    }
    /// Any other failure libcurl reports.
    public static func other(_ message: String, curlCode: Int? = nil) -> Self {
        .init(.other, curlCode: curlCode, message: message)
    }

    /// Whether trying again may succeed: resolution, connection, timeout and broken-connection
    /// failures are transient; local file, size and request errors are not.
    public var isTransient: Bool {
        switch self.code {
        case .couldNotResolve, .couldNotConnect, .timedOut, .connectionLost: true
        case .bodyTooLarge, .localFile, .invalidRequest, .other: false
        }
    }

    /// Whether the request certainly never reached the server, so that even a non-idempotent
    /// request is safe to send again.
    public var requestNeverSent: Bool {
        switch self.code {
        case .couldNotResolve, .couldNotConnect, .invalidRequest: true
        case .timedOut, .connectionLost, .bodyTooLarge, .localFile, .other: false
        }
    }

    /// Whether a local file error was "no space left on device" (or quota exceeded).
    public var isDiskFull: Bool {
        self.code == .localFile && (self.curlCode == 28 || self.curlCode == 122)
    }

    /// Whether the failure was a timeout.
    public var isTimeout: Bool { self.code == .timedOut }

    public var description: String { self.message }
}
