import DevStorage
import DevStorageTesting
import Foundation
import StorageClient
import StorageHTTP
import Testing

@Suite("Queue and blob clients against the development server")
struct ClientSmokeTests {
    @Test("queue round trip: create, send, receive, update, delete")
    func queueRoundTrip() async throws {
        try await withDevStorage { endpoints in
            let pipeline = StoragePipeline(
                account: try StorageAccount(connectionString: endpoints.connectionString()),
                http: try CurlTransport()
            )
            let queue = pipeline.queue("smoke")
            #expect(try await queue.createIfNotExists())
            #expect(try await !queue.createIfNotExists())
            let sent = try await queue.sendMessage("hello <world> & co")
            #expect(!sent.messageID.isEmpty)
            #expect(try await queue.properties().approximateMessageCount == 1)
            let received = try await queue.receiveMessages(maxMessages: 32, visibilityTimeout: 30)
            #expect(received.map(\.text) == ["hello <world> & co"])
            let renewed = try await queue.updateMessage(
                id: received[0].messageID,
                popReceipt: received[0].popReceipt,
                visibilityTimeout: 60
            )
            await #expect(throws: StorageError.self) {
                try await queue.deleteMessage(id: received[0].messageID, popReceipt: received[0].popReceipt)
            }
            try await queue.deleteMessage(id: received[0].messageID, popReceipt: renewed.popReceipt)
            #expect(try await queue.properties().approximateMessageCount == 0)
        }
    }

    @Test("blob transfer round trip with several blocks")
    func blobTransferRoundTrip() async throws {
        try await withDevStorage { endpoints in
            let pipeline = StoragePipeline(
                account: try StorageAccount(connectionString: endpoints.connectionString()),
                http: try CurlTransport()
            )
            let container = pipeline.container("data")
            try await container.createIfNotExists()
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smoke-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            var bytes = [UInt8](repeating: 0, count: 5 * 1024 * 1024 + 123)
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 9) }
            let source = folder.appendingPathComponent("in.bin").path
            _ = FileManager.default.createFile(atPath: source, contents: Data(bytes))
            var options = TransferOptions()
            options.blockSize = 1024 * 1024
            options.singleShotThreshold = 1024 * 1024
            let uploaded = try await container.blob("dir/file one.bin").upload(from: source, options: options)
            #expect(uploaded.blockCount == 6)
            let target = folder.appendingPathComponent("out.bin").path
            let downloaded = try await container.blob("dir/file one.bin").download(to: target, options: options)
            #expect(downloaded.md5Verified)
            #expect(FileManager.default.contents(atPath: target) == Data(bytes))
            let names = try await container.listBlobs(prefix: "dir/").allBlobs().map(\.name)
            #expect(names == ["dir/file one.bin"])
        }
    }
}
