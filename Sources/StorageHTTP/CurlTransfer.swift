internal import CCurl
import Glibc
import Synchronization

/// One request in flight on the transport: its easy handle, the body being sent, the response
/// being received, and the continuation waiting for the outcome.
///
/// After submission every field except `cancelRequested` is touched only by the transport's
/// thread (libcurl calls the callbacks there), which is what makes `@unchecked Sendable` sound.
final class CurlTransfer: @unchecked Sendable {
    let request: HTTPRequest
    let destination: HTTPResponseDestination
    let progress: (@Sendable (Int64) -> Void)?
    let cancelRequested = Atomic<Bool>(false)
    var continuation: CheckedContinuation<HTTPResponse, any Error>?

    private(set) var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    private var sendPosition: Int64 = 0
    private var status = 0
    private var headers: [(name: String, value: String)] = []
    private var body: [UInt8] = []
    private var bodyToFile: Bool?
    private var fileWritten: Int64 = 0
    private var localError: HTTPTransportError?

    /// Largest error body kept when a file destination gets a non-2xx reply.
    private static let errorBodyLimit = 1024 * 1024

    init(request: HTTPRequest, destination: HTTPResponseDestination, progress: (@Sendable (Int64) -> Void)?) {
        self.request = request
        self.destination = destination
        self.progress = progress
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        self.releaseHandle()
        self.errorBuffer.deallocate()
    }

    // MARK: Setting up

    /// Creates and configures the easy handle. Called on the transport's thread.
    func makeHandle(configuration: CurlTransport.Configuration) throws(HTTPTransportError) -> UnsafeMutableRawPointer {
        guard let easy = curl_easy_init() else { throw .other("libcurl could not create a handle") }
        self.easy = easy
        let context = Unmanaged.passUnretained(self).toOpaque()
        var failed: CURLcode = CURLE_OK
        func check(_ code: CURLcode) { if code != CURLE_OK, failed == CURLE_OK { failed = code } }

        check(blobflow_curl_easy_setopt_string(easy, CURLOPT_URL, self.request.url))
        check(blobflow_curl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        check(blobflow_curl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, context))
        check(blobflow_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, self.errorBuffer))
        check(blobflow_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        check(blobflow_curl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1)))
        check(blobflow_curl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
        check(blobflow_curl_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1))
        check(blobflow_curl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))
        check(
            blobflow_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.milliseconds)
        )
        if let timeout = self.request.timeout ?? configuration.requestTimeout {
            check(blobflow_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, timeout.milliseconds)))
        }
        // A transfer during which fewer than one byte per second moves for `stallTimeout` is dead.
        check(blobflow_curl_easy_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, 1))
        check(
            blobflow_curl_easy_setopt_long(
                easy,
                CURLOPT_LOW_SPEED_TIME,
                max(1, configuration.stallTimeout.milliseconds / 1000)
            )
        )
        check(blobflow_curl_easy_setopt_long(easy, CURLOPT_BUFFERSIZE, configuration.receiveBufferSize))
        check(blobflow_curl_easy_setopt_long(easy, CURLOPT_UPLOAD_BUFFERSIZE, configuration.sendBufferSize))
        check(blobflow_curl_easy_setopt_string(easy, CURLOPT_USERAGENT, configuration.userAgent))
        if let proxy = configuration.proxy { check(blobflow_curl_easy_setopt_string(easy, CURLOPT_PROXY, proxy)) }
        if configuration.verbose { check(blobflow_curl_easy_setopt_long(easy, CURLOPT_VERBOSE, 1)) }

        check(blobflow_curl_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback))
        check(blobflow_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context))
        check(blobflow_curl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback))
        check(blobflow_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context))

        let method = self.request.method.uppercased()
        switch method {
        case "GET" where self.request.body.length == 0:
            check(blobflow_curl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
        case "HEAD":
            check(blobflow_curl_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
        default:
            check(blobflow_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method))
        }
        if method == "PUT" || method == "POST" || method == "PATCH" || self.request.body.length > 0 {
            // UPLOAD streams the body through the read callback and always sends Content-Length,
            // which Azure requires on PUT even when it is 0.
            check(blobflow_curl_easy_setopt_long(easy, CURLOPT_UPLOAD, 1))
            check(blobflow_curl_easy_setopt_off_t(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(self.request.body.length)))
            check(blobflow_curl_easy_setopt_data_callback(easy, CURLOPT_READFUNCTION, curlReadCallback))
            check(blobflow_curl_easy_setopt_pointer(easy, CURLOPT_READDATA, context))
            check(blobflow_curl_easy_setopt_seek_callback(easy, curlSeekCallback))
            check(blobflow_curl_easy_setopt_pointer(easy, CURLOPT_SEEKDATA, context))
        }

        var list: UnsafeMutablePointer<curl_slist>?
        for header in self.request.headers {
            guard !header.name.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" }),
                !header.value.contains(where: { $0 == "\r" || $0 == "\n" })
            else {
                curl_slist_free_all(list)
                throw .invalidRequest("header '\(header.name)' contains a line break or colon")
            }
            list = curl_slist_append(list, header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        // No 100-continue round trip, and no Accept header Azure does not need.
        list = curl_slist_append(list, "Expect:")
        list = curl_slist_append(list, "Accept:")
        self.headerList = list
        check(blobflow_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list))

        if failed != CURLE_OK {
            throw .invalidRequest(
                "libcurl refused an option: \(String(cString: curl_easy_strerror(failed)))",
                curlCode: Int(failed.rawValue)
            )
        }
        return easy
    }

    /// Frees the easy handle and header list. Idempotent.
    func releaseHandle() {
        if let easy = self.easy {
            curl_easy_cleanup(easy)
            self.easy = nil
        }
        if let list = self.headerList {
            curl_slist_free_all(list)
            self.headerList = nil
        }
    }

    // MARK: Finishing

    /// Resumes the waiting task with the outcome of a finished transfer.
    func complete(result: CURLcode) {
        if result == CURLE_OK, self.localError == nil {
            var code = 0
            if let easy = self.easy { _ = blobflow_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code) }
            self.resume(
                .success(
                    HTTPResponse(
                        status: code != 0 ? code : self.status,
                        headers: self.headers,
                        body: self.body,
                        bytesWrittenToFile: self.fileWritten
                    )
                )
            )
            return
        }
        self.resume(.failure(self.localError ?? self.transportError(result)))
    }

    /// Resumes the waiting task with an error (cancellation, shutdown).
    func fail(_ error: any Error) {
        self.resume(.failure(error))
    }

    private func resume(_ result: Result<HTTPResponse, any Error>) {
        self.releaseHandle()
        self.body = []
        guard let continuation = self.continuation else { return }
        self.continuation = nil
        continuation.resume(with: result)
    }

    private func transportError(_ result: CURLcode) -> HTTPTransportError {
        let detail =
            self.errorBuffer.pointee != 0
            ? String(cString: self.errorBuffer) : String(cString: curl_easy_strerror(result))
        let message = "\(self.request.method) to \(Self.hostOf(self.request.url)) failed: \(detail)"
        let code = Int(result.rawValue)
        switch result {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .couldNotResolve(message, curlCode: code)
        case CURLE_COULDNT_CONNECT:
            return .couldNotConnect(message, curlCode: code)
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(message, curlCode: code)
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_SSL_CONNECT_ERROR,
            CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return .connectionLost(message, curlCode: code)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT:
            return .invalidRequest(message, curlCode: code)
        default:
            return .other(message, curlCode: code)
        }
    }

    /// `scheme://host:port` of a URL, for messages: never the path's SAS or the query.
    static func hostOf(_ url: String) -> String {
        let utf8 = Array(url.utf8)
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")), utf8[colon...].starts(with: Array("://".utf8)) else {
            return "<invalid URL>"
        }
        var end = colon + 3
        while end < utf8.count, utf8[end] != UInt8(ascii: "/"), utf8[end] != UInt8(ascii: "?"),
            utf8[end] != UInt8(ascii: "#")
        {
            end += 1
        }
        return String(decoding: utf8[..<end], as: UTF8.self)
    }

    // MARK: Callbacks (on the transport's thread)

    fileprivate func receiveHeader(_ line: UnsafeBufferPointer<UInt8>) {
        var end = line.count
        while end > 0, line[end - 1] == 0x0A || line[end - 1] == 0x0D { end -= 1 }
        guard end > 0 else { return }
        let text = String(decoding: UnsafeBufferPointer(rebasing: line[0..<end]), as: UTF8.self)
        if text.hasPrefix("HTTP/") {
            // A new status line (after a 100 Continue or a proxy's CONNECT reply) starts afresh.
            self.headers.removeAll(keepingCapacity: true)
            let parts = text.split(separator: " ", maxSplits: 2)
            self.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = String(text[..<colon])
        let value = text[text.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
        self.headers.append((name, String(value)))
    }

    fileprivate func receiveBody(_ data: UnsafeBufferPointer<UInt8>) -> Int {
        if self.bodyToFile == nil {
            var code = 0
            if let easy = self.easy { _ = blobflow_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code) }
            if case .file = self.destination, (200..<300).contains(code) {
                self.bodyToFile = true
            } else {
                self.bodyToFile = false
            }
        }
        if self.bodyToFile == true, case .file(let descriptor, let offset, let maxLength) = self.destination {
            guard self.fileWritten + Int64(data.count) <= maxLength else {
                self.localError = .bodyTooLarge("the response body is longer than the \(maxLength) bytes expected")
                return 0
            }
            var written = 0
            while written < data.count {
                let result = pwrite(
                    descriptor,
                    data.baseAddress! + written,
                    data.count - written,
                    off_t(offset + self.fileWritten + Int64(written))
                )
                if result < 0 {
                    if errno == EINTR { continue }
                    let code = errno
                    self.localError = .localFile(
                        "writing the download failed: \(String(cString: strerror(code)))",
                        errno: code
                    )
                    return 0
                }
                written += result
            }
            self.fileWritten += Int64(data.count)
        } else {
            let limit: Int
            switch self.destination {
            case .memory(let memoryLimit): limit = memoryLimit
            case .file: limit = Self.errorBodyLimit
            }
            guard self.body.count + data.count <= limit else {
                self.localError = .bodyTooLarge("the response body exceeds \(limit) bytes")
                return 0
            }
            self.body.append(contentsOf: data)
        }
        self.progress?(Int64(data.count))
        return data.count
    }

    fileprivate func sendBody(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        let length = self.request.body.length
        let count = Int(min(Int64(buffer.count), length - self.sendPosition))
        guard count > 0 else { return 0 }
        switch self.request.body {
        case .empty:
            return 0
        case .bytes(let bytes):
            bytes.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + Int(self.sendPosition), byteCount: count)
            }
        case .file(let descriptor, let offset, _):
            var read = 0
            while read < count {
                let result = pread(
                    descriptor,
                    buffer.baseAddress! + read,
                    count - read,
                    off_t(offset + self.sendPosition + Int64(read))
                )
                if result < 0 {
                    if errno == EINTR { continue }
                    let code = errno
                    self.localError = .localFile(
                        "reading the upload failed: \(String(cString: strerror(code)))",
                        errno: code
                    )
                    return Int(CURL_READFUNC_ABORT)
                }
                if result == 0 {
                    self.localError = .localFile("the file being uploaded became shorter while it was sent", errno: EIO)
                    return Int(CURL_READFUNC_ABORT)
                }
                read += result
            }
        }
        self.sendPosition += Int64(count)
        self.progress?(Int64(count))
        return count
    }

    fileprivate func seekBody(to offset: Int64, origin: Int32) -> Int32 {
        guard origin == SEEK_SET, offset >= 0, offset <= self.request.body.length else {
            return Int32(CURL_SEEKFUNC_CANTSEEK)
        }
        self.sendPosition = offset
        return Int32(CURL_SEEKFUNC_OK)
    }
}

extension Duration {
    /// The duration in whole milliseconds, as libcurl's `_MS` options want it.
    var milliseconds: Int {
        let (seconds, attoseconds) = self.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

private func transfer(_ context: UnsafeMutableRawPointer?) -> CurlTransfer {
    Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
}

private let curlHeaderCallback: blobflow_curl_data_callback = { buffer, size, count, context in
    let length = size * count
    buffer!.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
        transfer(context).receiveHeader(UnsafeBufferPointer(start: bytes, count: length))
    }
    return length
}

private let curlWriteCallback: blobflow_curl_data_callback = { buffer, size, count, context in
    let length = size * count
    return buffer!.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
        transfer(context).receiveBody(UnsafeBufferPointer(start: bytes, count: length))
    }
}

private let curlReadCallback: blobflow_curl_data_callback = { buffer, size, count, context in
    size_t(transfer(context).sendBody(UnsafeMutableRawBufferPointer(start: buffer, count: size * count)))
}

private let curlSeekCallback: blobflow_curl_seek_callback = { context, offset, origin in
    transfer(context).seekBody(to: Int64(offset), origin: origin)
}
