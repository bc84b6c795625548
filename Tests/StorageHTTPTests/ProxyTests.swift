import Glibc
import StorageHTTP
import Synchronization
import Testing

/// A one-shot HTTP proxy on loopback: records the first request line and answers 200.
private final class RecordingProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    let requestLine = Mutex<String?>(nil)

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 4) == 0 else { throw HTTPTransportError.other("proxy could not listen") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Serves one connection on a background thread.
    func serveOnce() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        pthread_create(
            &thread,
            nil,
            { context in
                let proxy = Unmanaged<RecordingProxy>.fromOpaque(context!).takeRetainedValue()
                let connection = accept(proxy.listener, nil, nil)
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = read(connection, &buffer, buffer.count)
                let text = String(decoding: buffer[0..<max(0, count)], as: UTF8.self)
                proxy.requestLine.withLock { $0 = text.split(separator: "\r\n").first.map(String.init) }
                let reply = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8)
                _ = write(connection, reply, reply.count)
                close(connection)
                close(proxy.listener)
                return nil
            },
            box
        )
        pthread_detach(thread)
    }
}

@Suite("Proxy")
struct ProxyTests {
    @Test("a configured proxy receives the request in absolute form")
    func proxyIsUsed() async throws {
        let proxy = try RecordingProxy()
        proxy.serveOnce()
        var configuration = CurlTransport.Configuration()
        configuration.proxy = "http://127.0.0.1:\(proxy.port)"
        let transport = try CurlTransport(configuration: configuration)
        // A name that cannot resolve: only a proxy can answer it.
        let response = try await transport.execute(
            HTTPRequest(method: "GET", url: "http://storage.blobflow-proxy-check.invalid/c/b")
        )
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "ok")
        #expect(proxy.requestLine.withLock { $0 } == "GET http://storage.blobflow-proxy-check.invalid/c/b HTTP/1.1")
    }
}
