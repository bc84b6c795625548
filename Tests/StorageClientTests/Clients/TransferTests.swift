import DevStorage
import DevStorageTesting
import Foundation
import Glibc
import StorageHTTP
import Testing

@testable import StorageClient

@Suite("Transfer engine, SAS and listings against the development server")
struct TransferTests {
    static func pipeline(_ endpoints: DevStorageEndpoints) throws -> StoragePipeline {
        StoragePipeline(
            account: try StorageAccount(connectionString: endpoints.connectionString()),
            http: try CurlTransport()
        )
    }

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("transfer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static func pattern(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ Int(seed) &+ $0 >> 11) }
    }

    @Test("sizes around block boundaries round-trip byte for byte", arguments: [0, 1, 65_535, 65_536, 65_537, 300_001])
    func roundTrip(size: Int) async throws {
        try await withDevStorage { endpoints in
            let pipeline = try Self.pipeline(endpoints)
            let container = pipeline.container("sizes")
            try await container.createIfNotExists()
            let folder = try Self.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let bytes = Self.pattern(size)
            let source = folder.appendingPathComponent("in").path
            _ = FileManager.default.createFile(atPath: source, contents: Data(bytes))
            var options = TransferOptions()
            options.blockSize = 65_536
            options.singleShotThreshold = 100_000
            options.concurrency = 3
            let upload = try await container.blob("b\(size)").upload(from: source, options: options)
            #expect(upload.bytes == Int64(size))
            let target = folder.appendingPathComponent("out").path
            let download = try await container.blob("b\(size)").download(to: target, options: options)
            #expect(download.md5Verified)
            #expect(FileManager.default.contents(atPath: target) == Data(bytes))
            #expect(!FileManager.default.fileExists(atPath: target + ".partial"))
        }
    }

    @Test("a download whose bytes do not match the stored MD5 fails and leaves no file")
    func md5Mismatch() async throws {
        try await withDevStorage { endpoints in
            let pipeline = try Self.pipeline(endpoints)
            let container = pipeline.container("md5")
            try await container.createIfNotExists()
            let folder = try Self.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let source = folder.appendingPathComponent("in").path
            _ = FileManager.default.createFile(atPath: source, contents: Data(Self.pattern(200_000)))
            let descriptor = open(source, O_RDONLY)
            defer { close(descriptor) }
            // Stage two blocks and commit them under an MD5 that belongs to other content.
            let blob = container.blob("b")
            let ids = BlobClient.blockIDs(count: 2, size: 200_000, blockSize: 100_000, modificationTime: 1)
            try await blob.stageBlock(id: ids[0], descriptor: descriptor, offset: 0, length: 100_000)
            try await blob.stageBlock(id: ids[1], descriptor: descriptor, offset: 100_000, length: 100_000)
            _ = try await blob.commitBlockList(
                ids,
                contentType: nil,
                contentMD5: Array(repeating: 7, count: 16),
                metadata: [:]
            )
            let target = folder.appendingPathComponent("out").path
            await #expect { _ = try await blob.download(to: target) } throws: { error in
                guard let error = error as? StorageError else { return false }
                return error.isTransient && "\(error)".contains("MD5")
            }
            #expect(!FileManager.default.fileExists(atPath: target))
            #expect(!FileManager.default.fileExists(atPath: target + ".partial"))
            var unchecked = TransferOptions()
            unchecked.verifyMD5 = false
            let result = try await blob.download(to: target, options: unchecked)
            #expect(!result.md5Verified)
        }
    }

    @Test("an interrupted block upload resumes without sending staged blocks again")
    func resumeStagedBlocks() async throws {
        try await withDevStorage { endpoints in
            let pipeline = try Self.pipeline(endpoints)
            let container = pipeline.container("resume")
            try await container.createIfNotExists()
            let folder = try Self.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let source = folder.appendingPathComponent("in").path
            let bytes = Self.pattern(10 * 65_536 + 5)
            _ = FileManager.default.createFile(atPath: source, contents: Data(bytes))
            var options = TransferOptions()
            options.blockSize = 65_536
            options.singleShotThreshold = 65_536
            options.concurrency = 1
            // Cancel the first upload once a few blocks are staged.
            let (reached, signal) = AsyncStream.makeStream(of: Void.self)
            var slow = options
            slow.progress = { progress in
                if progress.bytesTransferred >= 4 * 65_536 { signal.yield() }
            }
            let interrupted = slow
            let first = Task { try await container.blob("big").upload(from: source, options: interrupted) }
            for await _ in reached { break }
            first.cancel()
            _ = try? await first.value
            let staged = try await container.blob("big").blockList().uncommitted.count
            #expect(staged >= 4)
            let result = try await container.blob("big").upload(from: source, options: options)
            #expect(result.blockCount == 11)
            #expect(result.blocksReused == staged)
            let target = folder.appendingPathComponent("out").path
            _ = try await container.blob("big").download(to: target)
            #expect(FileManager.default.contents(atPath: target) == Data(bytes))
        }
    }

    @Test("a read-only blob SAS downloads anonymously and cannot write")
    func readOnlySAS() async throws {
        try await withDevStorage { endpoints in
            let pipeline = try Self.pipeline(endpoints)
            let container = pipeline.container("sas")
            try await container.createIfNotExists()
            let blob = container.blob("dir/report 1.csv")
            try await blob.upload(Array("a,b\n1,2\n".utf8), contentType: "text/csv")
            let url = try blob.sasURL(SASRequest(permissions: "r", lifetime: .seconds(600)))
            #expect(url.contains("sig="))
            #expect(url.contains("sp=r"))
            let transport = try CurlTransport()
            let read = try await transport.execute(HTTPRequest(method: "GET", url: url))
            #expect(read.status == 200)
            #expect(String(decoding: read.body, as: UTF8.self) == "a,b\n1,2\n")
            let write = try await transport.execute(
                HTTPRequest(
                    method: "PUT",
                    url: url,
                    headers: [("x-ms-blob-type", "BlockBlob"), ("x-ms-version", "2025-05-05")],
                    body: .bytes([1])
                )
            )
            #expect(write.status == 403)
            let containerURL = try container.sasURL(SASRequest(permissions: "cw", lifetime: .seconds(600)))
            let path = containerURL.split(separator: "?", maxSplits: 1)
            let created = try await transport.execute(
                HTTPRequest(
                    method: "PUT",
                    url: "\(path[0])/new.txt?\(path[1])",
                    headers: [("x-ms-blob-type", "BlockBlob"), ("x-ms-version", "2025-05-05")],
                    body: .bytes([1, 2])
                )
            )
            #expect(created.status == 201)
        }
    }

    @Test("listing pages through many blobs and folders")
    func listingPages() async throws {
        try await withDevStorage { endpoints in
            let pipeline = try Self.pipeline(endpoints)
            let container = pipeline.container("list")
            try await container.createIfNotExists()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<25 {
                    group.addTask { try await container.blob("a/\(index).txt").upload([UInt8(index)]) }
                    group.addTask { try await container.blob("b/c/\(index)").upload([]) }
                }
                try await group.waitForAll()
            }
            var pages = 0
            var names: [String] = []
            for try await page in container.listBlobs(prefix: "a/", pageSize: 10) {
                pages += 1
                names += page.blobs.map(\.name)
            }
            #expect(pages == 3)
            #expect(names.count == 25)
            let top = try await container.listBlobsPage(delimiter: "/")
            #expect(top.prefixes == ["a/", "b/"])
            #expect(top.blobs.isEmpty)
        }
    }

    @Test("cancelling a download aborts it and removes the partial file")
    func cancelDownload() async throws {
        try await withDevStorage { endpoints in
            let pipeline = try Self.pipeline(endpoints)
            let container = pipeline.container("cancel")
            try await container.createIfNotExists()
            let folder = try Self.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let source = folder.appendingPathComponent("in").path
            _ = FileManager.default.createFile(atPath: source, contents: Data(Self.pattern(4 * 1024 * 1024)))
            try await container.blob("big").upload(from: source)
            let target = folder.appendingPathComponent("out").path
            var options = TransferOptions()
            options.blockSize = 65_536
            options.concurrency = 1
            let (reached, signal) = AsyncStream.makeStream(of: Void.self)
            options.progress = { progress in
                if progress.bytesTransferred >= 2 * 65_536 { signal.yield() }
            }
            let slow = options
            let task = Task { try await container.blob("big").download(to: target, options: slow) }
            for await _ in reached { break }
            task.cancel()
            await #expect(throws: CancellationError.self) { _ = try await task.value }
            #expect(!FileManager.default.fileExists(atPath: target))
            #expect(!FileManager.default.fileExists(atPath: target + ".partial"))
        }
    }
}
