import Crypto
import Foundation
import Hummingbird
import NIOCore
import NIOFileSystem

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
        var md5 = Insecure.MD5()
        var size: Int64 = 0
        do {
            try await FileSystem.shared.withFileHandle(forWritingAt: FilePath(path), options: .newFile(replaceExisting: false)) { handle in
                var writer = handle.bufferedWriter(capacity: .mebibytes(1))
                for try await chunk in body {
                    size += Int64(chunk.readableBytes)
                    guard size <= maxBytes else { throw StorageServiceError.requestBodyTooLarge }
                    chunk.withUnsafeReadableBytes { md5.update(bufferPointer: $0) }
                    try await writer.write(contentsOf: chunk)
                }
                try await writer.flush()
            }
        } catch let error as StorageServiceError {
            unlink(path)
            throw error
        } catch let error as FileSystemError where error.code == .unsupported || String(describing: error).contains("No space") {
            unlink(path)
            throw .insufficientStorage("The disk holding the development storage is full.")
        } catch {
            unlink(path)
            throw .internalError("Could not store the request body: \(error)")
        }
        return Written(name: name, size: size, md5: Array(md5.finalize()))
    }

    /// Writes bytes `range` of the blob made of `blocks` to a response body writer.
    func stream(_ blocks: [BlockReference], range: Range<Int64>, to writer: inout any ResponseBodyWriter) async throws {
        var blockStart: Int64 = 0
        for block in blocks {
            let blockEnd = blockStart + block.size
            defer { blockStart = blockEnd }
            let lower = max(range.lowerBound, blockStart)
            let upper = min(range.upperBound, blockEnd)
            guard lower < upper else { continue }
            try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(self.directory + "/" + block.extent)) { handle in
                for try await chunk in handle.readChunks(in: (lower - blockStart)..<(upper - blockStart), chunkLength: .kibibytes(256)) {
                    try await writer.write(chunk)
                }
            }
        }
    }

    /// MD5 of bytes `range` of the blob made of `blocks` (for `x-ms-range-get-content-md5`).
    func md5(_ blocks: [BlockReference], range: Range<Int64>) async throws -> [UInt8] {
        var md5 = Insecure.MD5()
        var blockStart: Int64 = 0
        for block in blocks {
            let blockEnd = blockStart + block.size
            defer { blockStart = blockEnd }
            let lower = max(range.lowerBound, blockStart)
            let upper = min(range.upperBound, blockEnd)
            guard lower < upper else { continue }
            try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(self.directory + "/" + block.extent)) { handle in
                for try await chunk in handle.readChunks(in: (lower - blockStart)..<(upper - blockStart), chunkLength: .kibibytes(256)) {
                    chunk.withUnsafeReadableBytes { md5.update(bufferPointer: $0) }
                }
            }
        }
        return Array(md5.finalize())
    }

    func remove(_ names: [String]) {
        for name in names { unlink(self.directory + "/" + name) }
    }

    /// Deletes extents no record references: bodies of requests that never committed before a crash.
    func removeUnreferenced(keeping referenced: Set<String>) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: self.directory)) ?? [] where !referenced.contains(name) {
            unlink(self.directory + "/" + name)
        }
    }
}
