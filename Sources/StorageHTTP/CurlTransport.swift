internal import CCurl
import Glibc
import Synchronization

/// HTTP/1.1 client on libcurl: one multi handle driven by its own thread, bridged to async/await.
///
/// Every request of every task shares the multi handle, so connections to a host are kept alive
/// and reused across requests (a pool per host, bounded by
/// ``Configuration/maxConnectionsPerHost``). Bodies stream to and from files with `pread` and
/// `pwrite`; nothing buffers a whole blob. libcurl honours `HTTPS_PROXY`, `HTTP_PROXY` and
/// `NO_PROXY` from the environment and verifies TLS against the system CA store. Cancelling the
/// calling task aborts its transfer at once.
///
/// The transport stops when the last reference to it goes away; in-flight requests then fail.
public final class CurlTransport: HTTPExecutor {
    /// Timeouts, pool sizes and buffers.
    public struct Configuration: Sendable {
        /// Longest wait for a TCP (and TLS) connection.
        public var connectTimeout: Duration = .seconds(10)
        /// Default upper bound for a whole request; nil for none (a request can set its own).
        public var requestTimeout: Duration? = nil
        /// A transfer that moves no byte for this long is aborted as timed out. This is what
        /// catches a hung server without limiting how long a large, healthy transfer may take.
        public var stallTimeout: Duration = .seconds(30)
        /// Most simultaneous connections to one host; further requests wait for a free one.
        public var maxConnectionsPerHost: Int = 64
        /// Idle connections kept open for reuse.
        public var maxIdleConnections: Int = 64
        /// libcurl's receive buffer per transfer.
        public var receiveBufferSize: Int = 256 * 1024
        /// libcurl's send buffer per transfer.
        public var sendBufferSize: Int = 256 * 1024
        /// The `User-Agent` header.
        public var userAgent: String = "blobflow"
        /// A proxy URL for every request (`http://host:port`). When nil, libcurl reads the
        /// standard environment variables: `HTTPS_PROXY`/`https_proxy`, `HTTP_PROXY`/`http_proxy`
        /// (lower case only for plain http), `ALL_PROXY` and `NO_PROXY`.
        public var proxy: String? = nil
        /// libcurl's own trace on standard error (for debugging; prints headers, which may be secret).
        public var verbose: Bool = false

        /// The defaults.
        public init() {}
    }

    private let loop: CurlLoop

    /// Starts the transport's thread.
    public init(configuration: Configuration = Configuration()) throws {
        self.loop = try CurlLoop(configuration: configuration)
    }

    deinit {
        self.loop.shutdown()
    }

    public func execute(
        _ request: HTTPRequest,
        destination: HTTPResponseDestination,
        progress: (@Sendable (Int64) -> Void)?
    ) async throws -> HTTPResponse {
        try Task.checkCancellation()
        let transfer = CurlTransfer(request: request, destination: destination, progress: progress)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                self.loop.submit(transfer)
            }
        } onCancel: {
            self.loop.cancel(transfer)
        }
    }
}

/// The transport's thread and the state shared with callers.
private final class CurlLoop: @unchecked Sendable {
    private struct Inbox {
        var submissions: [CurlTransfer] = []
        var cancellations: [CurlTransfer] = []
        var stopping = false
    }

    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    private let configuration: CurlTransport.Configuration
    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    /// Transfers added to the multi handle, by easy handle. Touched only on the loop thread.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init(configuration: CurlTransport.Configuration) throws {
        guard Self.globalInit == CURLE_OK, let multi = curl_multi_init() else {
            throw HTTPTransportError.other("libcurl could not be initialised")
        }
        self.configuration = configuration
        self.multi = multi
        _ = blobflow_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)
        _ = blobflow_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, configuration.maxIdleConnections)

        var thread = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(
            &thread,
            nil,
            { context in
                let loop = Unmanaged<CurlLoop>.fromOpaque(context!).takeRetainedValue()
                loop.run()
                return nil
            },
            box
        )
        guard created == 0 else {
            Unmanaged<CurlLoop>.fromOpaque(box).release()
            curl_multi_cleanup(multi)
            throw HTTPTransportError.other("could not start the HTTP thread (error \(created))")
        }
        pthread_detach(thread)
    }

    func submit(_ transfer: CurlTransfer) {
        let accepted = self.inbox.withLock { inbox in
            guard !inbox.stopping else { return false }
            inbox.submissions.append(transfer)
            return true
        }
        guard accepted else {
            transfer.fail(HTTPTransportError.other("the HTTP transport has shut down"))
            return
        }
        curl_multi_wakeup(self.multi)
    }

    func cancel(_ transfer: CurlTransfer) {
        transfer.cancelRequested.store(true, ordering: .sequentiallyConsistent)
        self.inbox.withLock { $0.cancellations.append(transfer) }
        curl_multi_wakeup(self.multi)
    }

    func shutdown() {
        self.inbox.withLock { $0.stopping = true }
        curl_multi_wakeup(self.multi)
    }

    private func run() {
        var running: Int32 = 0
        while true {
            let (submissions, cancellations, stopping) = self.inbox.withLock { inbox in
                defer {
                    inbox.submissions.removeAll(keepingCapacity: true)
                    inbox.cancellations.removeAll(keepingCapacity: true)
                }
                return (inbox.submissions, inbox.cancellations, inbox.stopping)
            }
            for transfer in submissions {
                self.start(transfer)
            }
            for transfer in cancellations {
                guard let easy = transfer.easy, self.active.removeValue(forKey: easy) != nil else { continue }
                curl_multi_remove_handle(self.multi, easy)
                transfer.fail(CancellationError())
            }
            if stopping {
                for (easy, transfer) in self.active {
                    curl_multi_remove_handle(self.multi, easy)
                    transfer.fail(HTTPTransportError.other("the HTTP transport shut down during the request"))
                }
                self.active.removeAll()
                let late = self.inbox.withLock { inbox in
                    defer { inbox.submissions.removeAll() }
                    return inbox.submissions
                }
                for transfer in late { transfer.fail(HTTPTransportError.other("the HTTP transport has shut down")) }
                curl_multi_cleanup(self.multi)
                return
            }

            curl_multi_perform(self.multi, &running)
            var result = CURLE_OK
            while let easy = blobflow_curl_multi_next_done(self.multi, &result) {
                curl_multi_remove_handle(self.multi, easy)
                self.active.removeValue(forKey: easy)?.complete(result: result)
            }
            curl_multi_poll(self.multi, nil, 0, 1000, nil)
        }
    }

    private func start(_ transfer: CurlTransfer) {
        if transfer.cancelRequested.load(ordering: .sequentiallyConsistent) {
            transfer.fail(CancellationError())
            return
        }
        do {
            let easy = try transfer.makeHandle(configuration: self.configuration)
            let added = curl_multi_add_handle(self.multi, easy)
            guard added == CURLM_OK else {
                transfer.fail(
                    HTTPTransportError.other(
                        "libcurl refused the request: \(String(cString: curl_multi_strerror(added)))"
                    )
                )
                return
            }
            self.active[easy] = transfer
        } catch {
            transfer.fail(error)
        }
    }
}
