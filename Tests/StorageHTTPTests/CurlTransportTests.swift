import DevStorage
import DevStorageTesting
import Foundation
import StorageHTTP
import Testing

@Suite("CurlTransport against the development server")
struct CurlTransportTests {
    @Test("an anonymous request gets Azure's 403 with an XML body and headers")
    func anonymousRequestGetsAnErrorReply() async throws {
        try await withDevStorage { endpoints in
            let transport = try CurlTransport()
            let response = try await transport.execute(
                HTTPRequest(method: "GET", url: endpoints.queueEndpoint() + "/somequeue/messages")
            )
            #expect(response.status == 403)
            #expect(response.header("x-ms-error-code") == "AuthenticationFailed")
            #expect(String(decoding: response.body, as: UTF8.self).contains("<Code>AuthenticationFailed</Code>"))
        }
    }

    @Test("a refused connection is a transient error that says the request was never sent")
    func refusedConnection() async throws {
        let transport = try CurlTransport()
        // Port 1 on loopback: nothing listens there.
        await #expect {
            _ = try await transport.execute(HTTPRequest(method: "GET", url: "http://127.0.0.1:1/x?sig=secret"))
        } throws: { error in
            guard let error = error as? HTTPTransportError else { return false }
            return error.isTransient && error.requestNeverSent && !error.message.contains("secret")
        }
    }

    @Test("a hung server is abandoned after the request timeout")
    func hungServerTimesOut() async throws {
        try await withDevStorage(configure: { $0.faults = .init(rate: 1, kinds: [.hang], hangSeconds: 20) }) {
            endpoints in
            let transport = try CurlTransport()
            await #expect {
                _ = try await transport.execute(
                    HTTPRequest(
                        method: "GET",
                        url: endpoints.queueEndpoint() + "/q/messages",
                        timeout: .milliseconds(300)
                    )
                )
            } throws: { error in
                (error as? HTTPTransportError)?.isTimeout == true
            }
            // The timeout error (not the server closing after its hang) is the proof; a time bound
            // would fail whenever a loaded machine stalls the test.
        }
    }

    @Test("cancelling the task aborts the transfer")
    func cancellationAborts() async throws {
        try await withDevStorage(configure: { $0.faults = .init(rate: 1, kinds: [.hang], hangSeconds: 20) }) {
            endpoints in
            let transport = try CurlTransport()
            let task = Task {
                try await transport.execute(HTTPRequest(method: "GET", url: endpoints.queueEndpoint() + "/q/messages"))
            }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            await #expect(throws: CancellationError.self) { _ = try await task.value }
            // The timeout error (not the server closing after its hang) is the proof; a time bound
            // would fail whenever a loaded machine stalls the test.
        }
    }

    @Test("many concurrent requests share the transport")
    func concurrentRequests() async throws {
        try await withDevStorage { endpoints in
            let transport = try CurlTransport()
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await transport.execute(
                            HTTPRequest(
                                method: index % 2 == 0 ? "GET" : "PUT",
                                url: endpoints.blobEndpoint() + "/c\(index)?restype=container"
                            )
                        ).status
                    }
                }
                for try await status in group {
                    #expect(status == 403)
                }
            }
        }
    }
}
