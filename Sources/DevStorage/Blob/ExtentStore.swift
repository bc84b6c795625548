import Crypto
import Foundation
import Hummingbird
import NIOCore
import NIOFileSystem

#if canImport(Glibc)
import Glibc
#endif

/// Immutable files holding blob bytes. Request bodies stream into them and responses stream out
/// of them in bounded chunks, so a blob of any size passes through a small, fixed amount of memory.
struct ExtentStore: Sendable {
    let directory: String

    /// The result of storing one request body.
    struct Written: Sendable {
        var name: String
        var size: Int64
        /// MD5 of the bytes written.
        var md5: [UInt8]
    }

    init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Streams a request body into a new extent, computing its MD5 on the way. A body over
    /// `maxBytes` is refused and nothing is kept; a failed write (disk full) removes the partial file.
    func write(_ body: RequestBody, maxBytes: Int64) async throws(StorageServiceError) -> Written {
        let name = UUIDText.random()
        let path = self.directory + "/" + name
        var size: Int64 = 0
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .internalError("Could not create an extent file: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        // MD5 runs on another thread, one batch behind the writes, so hashing overlaps receiving.
        let hasher = PipelinedMD5()
        var batch: [ByteBuffer] = []
        var batchBytes = 0
        do {
            for try await chunk in body {
                size += Int64(chunk.readableBytes)
                guard size <= maxBytes else { throw StorageServiceError.requestBodyTooLarge }
                // Page-cache writes of one received chunk take microseconds: writing in place keeps
                // the body flowing without a thread hop per chunk.
                try chunk.withUnsafeReadableBytes {
                    try DevStorageIOError.writeAll($0, to: descriptor, what: "an extent")
                }
                batch.append(chunk)
                batchBytes += chunk.readableBytes
                if batchBytes >= 1 << 20 {
                    await hasher.submit(batch)
                    batch = []
                    batchBytes = 0
                }
            }
            await hasher.submit(batch)
        } catch {
            // Let the hashing task finish with the buffers before they go, and keep no partial file.
            await hasher.submit([])
            unlink(path)
            switch error {
            case let error as StorageServiceError: throw error
            case let error as DevStorageIOError where error.isDiskFull:
                throw .insufficientStorage("The disk holding the development storage is full.")
            case let error as DevStorageIOError: throw .internalError(error.description)
            default: throw .internalError("Could not receive the request body: \(error)")
            }
        }
        let md5 = await hasher.finalize()
        return Written(name: name, size: size, md5: md5)
    }

    /// Writes bytes `range` of the blob made of `blocks` to a response body writer.
    func stream(_ blocks: [BlockReference], range: Range<Int64>, to writer: inout any ResponseBodyWriter) async throws {
        try await self.forEachChunk(blocks, range: range) { try await writer.write($0) }
    }

    /// MD5 of bytes `range` of the blob made of `blocks` (for `x-ms-range-get-content-md5`).
    func md5(_ blocks: [BlockReference], range: Range<Int64>) async throws -> [UInt8] {
        var md5 = Insecure.MD5()
        try await self.forEachChunk(blocks, range: range) { chunk in
            chunk.withUnsafeReadableBytes { md5.update(bufferPointer: $0) }
        }
        return Array(md5.finalize())
    }

    /// Reads bytes `range` of the blob made of `blocks`, in order, in chunks of at most 256 KiB.
    private func forEachChunk(
        _ blocks: [BlockReference],
        range: Range<Int64>,
        _ body: (ByteBuffer) async throws -> Void
    ) async throws {
        var blockStart: Int64 = 0
        for block in blocks {
            let blockEnd = blockStart + block.size
            defer { blockStart = blockEnd }
            let lower = max(range.lowerBound, blockStart)
            let upper = min(range.upperBound, blockEnd)
            guard lower < upper else { continue }
            try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(self.directory + "/" + block.extent)) {
                handle in
                for try await chunk in handle.readChunks(
                    in: (lower - blockStart)..<(upper - blockStart),
                    chunkLength: .kibibytes(256)
                ) {
                    try await body(chunk)
                }
            }
        }
    }

    func remove(_ names: [String]) {
        for name in names { unlink(self.directory + "/" + name) }
    }

    /// Deletes extents no record references: bodies of requests that never committed before a crash.
    func removeUnreferenced(keeping referenced: Set<String>) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: self.directory)) ?? []
        where !referenced.contains(name) {
            unlink(self.directory + "/" + name)
        }
    }
}

/// MD5 of a stream computed one batch at a time on a background task: `submit` waits only for
/// the previous batch, so hashing batch N overlaps receiving batch N+1.
private final class PipelinedMD5: @unchecked Sendable {
    // Only touched by one task at a time: each hashing task is awaited before the next starts.
    private var md5 = Insecure.MD5()
    private var pending: Task<Void, Never>?

    func submit(_ batch: [ByteBuffer]) async {
        await self.pending?.value
        guard !batch.isEmpty else {
            self.pending = nil
            return
        }
        self.pending = Task.detached { [self] in
            for buffer in batch {
                buffer.withUnsafeReadableBytes { self.md5.update(bufferPointer: $0) }
            }
        }
    }

    func finalize() async -> [UInt8] {
        await self.pending?.value
        return Array(self.md5.finalize())
    }
}
