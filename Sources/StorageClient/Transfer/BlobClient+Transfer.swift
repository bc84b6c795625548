import Crypto
import Glibc
import StorageCore
import StorageHTTP
import Synchronization

extension BlobClient {
    /// Downloads the blob to `path` with parallel ranged GETs written in place.
    ///
    /// Bytes go to `path.partial` first, pinned to the blob version seen at the start (If-Match),
    /// and are checked against the stored Content-MD5 while later ranges still arrive; the file
    /// is renamed to `path` only when complete and verified. Space for the whole blob is reserved
    /// up front, so a full disk fails at once with ``StorageError/isDiskFull``. On any failure the
    /// partial file is removed. With ``TransferOptions/requiredETag`` set, a blob replaced since
    /// that eTag fails with HTTP 412 before any byte is fetched.
    public func download(to path: String, options: TransferOptions = TransferOptions()) async throws -> DownloadResult {
        let properties = try await self.properties(requiredETag: options.requiredETag)
        let size = properties.contentLength
        let partial = path + ".partial"
        let descriptor: Int32
        do {
            descriptor = try FileIO.createForWriting(partial)
        } catch {
            throw StorageError.localFile(operation: "GetBlob", message: "\(error)", diskFull: error.isDiskFull)
        }
        var completed = false
        defer {
            close(descriptor)
            if !completed { FileIO.remove(partial) }
        }
        do {
            try FileIO.reserve(descriptor: descriptor, length: size, path: partial)
        } catch {
            throw StorageError.localFile(
                operation: "GetBlob",
                message: "\(error) (\(size) bytes needed)",
                diskFull: error.isDiskFull
            )
        }

        let blockSize = max(options.blockSize, 64 * 1024)
        let rangeCount = Int((size + blockSize - 1) / blockSize)
        let expectedMD5 = options.verifyMD5 ? properties.contentMD5 : nil
        let (finished, finishedContinuation) = AsyncStream.makeStream(of: Int.self)
        let transferred = Atomic<Int64>(0)

        async let digest: [UInt8]? = Self.hashInOrder(
            descriptor: descriptor,
            finished: finished,
            rangeCount: rangeCount,
            blockSize: blockSize,
            size: size,
            enabled: expectedMD5 != nil
        )
        do {
            try await Self.forEachConcurrently(rangeCount, limit: options.concurrency) { index in
                let offset = Int64(index) * blockSize
                let length = min(blockSize, size - offset)
                var operation = StorageOperation("GetBlob", .blob, "GET", path: self.path)
                operation.headers = [
                    ("x-ms-range", "bytes=\(offset)-\(offset + length - 1)"), ("If-Match", properties.eTag),
                ]
                operation.destination = .file(descriptor: descriptor, offset: offset, maxLength: length)
                let response: HTTPResponse
                do {
                    response = try await self.pipeline.send(operation)
                } catch let error as StorageError where error.isConditionNotMet {
                    throw StorageError.service(
                        operation: "GetBlob",
                        status: 412,
                        errorCode: error.errorCode,
                        requestID: error.requestID,
                        message: "the blob changed while it was being downloaded; try again for the new version"
                    )
                }
                guard response.bytesWrittenToFile == length else {
                    throw StorageError.integrity(
                        operation: "GetBlob",
                        message: "range at \(offset) returned \(response.bytesWrittenToFile) of \(length) bytes"
                    )
                }
                finishedContinuation.yield(index)
                let done = transferred.add(length, ordering: .relaxed).newValue
                options.progress?(TransferProgress(bytesTransferred: done, totalBytes: size))
            }
        } catch {
            finishedContinuation.finish()
            _ = try? await digest
            throw Self.mapLocal(error, operation: "GetBlob")
        }
        finishedContinuation.finish()
        let actualMD5 = try await digest
        if let expectedMD5, let actualMD5, expectedMD5 != actualMD5 {
            throw StorageError.integrity(
                operation: "GetBlob",
                message:
                    "the downloaded bytes have MD5 \(Base64.encode(actualMD5)) but the blob's stored MD5 is \(Base64.encode(expectedMD5))"
            )
        }
        do {
            try FileIO.rename(partial, to: path)
        } catch {
            throw StorageError.localFile(operation: "GetBlob", message: "\(error)", diskFull: error.isDiskFull)
        }
        completed = true
        return DownloadResult(properties: properties, md5Verified: expectedMD5 != nil)
    }

    /// Uploads the file at `path` as this blob: one Put Blob up to
    /// ``TransferOptions/singleShotThreshold``, else parallel Put Block calls read straight from
    /// the file and one Put Block List. Block ids derive from the file's size and modification
    /// time, so a retried upload of the same file skips blocks an interrupted attempt staged.
    @discardableResult
    public func upload(from path: String, options: TransferOptions = TransferOptions()) async throws -> UploadResult {
        let descriptor: Int32
        let size: Int64
        do {
            descriptor = try FileIO.openForReading(path)
            size = try FileIO.size(of: descriptor, path: path)
        } catch {
            throw StorageError.localFile(operation: "PutBlob", message: "\(error)")
        }
        defer { close(descriptor) }

        if size <= options.singleShotThreshold {
            var operation = StorageOperation("PutBlob", .blob, "PUT", path: self.path)
            operation.body = .file(descriptor: descriptor, offset: 0, length: size)
            operation.headers = [("x-ms-blob-type", "BlockBlob")]
            var md5: [UInt8]?
            if options.computeMD5 {
                do {
                    md5 = try MD5Digest.of(descriptor: descriptor, offset: 0, length: size)
                } catch {
                    throw StorageError.localFile(operation: "PutBlob", message: "\(error)")
                }
                operation.headers.append(("Content-MD5", Base64.encode(md5!)))
            }
            if let contentType = options.contentType {
                operation.headers.append(("x-ms-blob-content-type", contentType))
            }
            operation.headers += options.metadata.sorted { $0.key < $1.key }.map { ("x-ms-meta-\($0.key)", $0.value) }
            let response = try await Self.mapLocalErrors(operation: "PutBlob") {
                try await self.pipeline.send(operation)
            }
            options.progress?(TransferProgress(bytesTransferred: size, totalBytes: size))
            return UploadResult(
                eTag: response.header("etag") ?? "",
                bytes: size,
                contentMD5: md5,
                blocksReused: 0,
                blockCount: 0
            )
        }

        // Azure allows 50,000 blocks: grow the block size (in whole MiB) when the file needs more.
        let mebibyte: Int64 = 1024 * 1024
        let requested = max(options.blockSize, 64 * 1024)
        let blockSize =
            (size + requested - 1) / requested > 50_000
            ? ((size + 49_999) / 50_000 + mebibyte - 1) / mebibyte * mebibyte
            : requested
        let blockCount = Int((size + blockSize - 1) / blockSize)
        let ids = Self.blockIDs(
            count: blockCount,
            size: size,
            blockSize: blockSize,
            modificationTime: FileIO.modificationTime(of: descriptor)
        )

        var reusable = Set<Int>()
        if options.resumeStagedBlocks {
            let staged = try await self.blockList().uncommitted
            let stagedSizes = Dictionary(staged.map { ($0.id, $0.size) }, uniquingKeysWith: { first, _ in first })
            for (index, id) in ids.enumerated() {
                let length = min(blockSize, size - Int64(index) * blockSize)
                if stagedSizes[id] == length { reusable.insert(index) }
            }
        }
        let transferred = Atomic<Int64>(0)
        async let digest: [UInt8]? = options.computeMD5 ? Self.fileMD5(descriptor: descriptor, size: size) : nil
        let pending = (0..<blockCount).filter { !reusable.contains($0) }
        do {
            try await Self.forEachConcurrently(pending.count, limit: options.concurrency) { position in
                let index = pending[position]
                let offset = Int64(index) * blockSize
                let length = min(blockSize, size - offset)
                try await self.stageBlock(id: ids[index], descriptor: descriptor, offset: offset, length: length)
                let done = transferred.add(length, ordering: .relaxed).newValue
                options.progress?(TransferProgress(bytesTransferred: done, totalBytes: size))
            }
        } catch {
            _ = try? await digest
            throw Self.mapLocal(error, operation: "PutBlock")
        }
        let md5: [UInt8]?
        do {
            md5 = try await digest
        } catch {
            throw Self.mapLocal(error, operation: "PutBlockList")
        }
        let eTag = try await self.commitBlockList(
            ids,
            contentType: options.contentType,
            contentMD5: md5,
            metadata: options.metadata
        )
        if !reusable.isEmpty {
            options.progress?(TransferProgress(bytesTransferred: size, totalBytes: size))
        }
        return UploadResult(
            eTag: eTag,
            bytes: size,
            contentMD5: md5,
            blocksReused: reusable.count,
            blockCount: blockCount
        )
    }

    // MARK: Helpers

    /// The blob's properties, failing with 412 when `requiredETag` is set and the blob now has
    /// another eTag (checked by the service through If-Match, and again here).
    private func properties(requiredETag: String?) async throws -> BlobProperties {
        guard let requiredETag else { return try await self.properties() }
        let quoted = EntityTag.quotedIfBare(requiredETag)
        func replaced(found: String?, requestID: String?) -> StorageError {
            StorageError.service(
                operation: "GetBlob",
                status: 412,
                errorCode: "ConditionNotMet",
                requestID: requestID,
                message: "the blob was replaced after the event was raised (expected eTag \(quoted)"
                    + (found.map { ", found \($0)" } ?? "") + "); the newer version raises an event of its own"
            )
        }
        let properties: BlobProperties
        do {
            properties = try await self.properties(ifMatch: quoted)
        } catch let error as StorageError where error.isConditionNotMet {
            throw replaced(found: nil, requestID: error.requestID)
        }
        guard EntityTag.opaque(properties.eTag) == EntityTag.opaque(quoted) else {
            throw replaced(found: properties.eTag, requestID: nil)
        }
        return properties
    }

    /// Fixed-length, base64 block ids unique to this file version and block size.
    static func blockIDs(count: Int, size: Int64, blockSize: Int64, modificationTime: Int64) -> [String] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in [UInt64(bitPattern: size), UInt64(bitPattern: blockSize), UInt64(bitPattern: modificationTime)] {
            for shift in stride(from: 0, to: 64, by: 8) {
                hash ^= (value >> UInt64(shift)) & 0xFF
                hash = hash &* 0x100_0000_01b3
            }
        }
        let version = String(hash, radix: 16)
        let prefix = "bf-" + String(repeating: "0", count: 16 - version.count) + version + "-"
        return (0..<count).map { index in
            let number = String(index)
            return Base64.encode(Array((prefix + String(repeating: "0", count: 6 - number.count) + number).utf8))
        }
    }

    /// Runs `body(0..<count)` with at most `limit` running at once; the first error cancels the rest.
    static func forEachConcurrently(
        _ count: Int,
        limit: Int,
        _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(max(1, limit), count) {
                let index = next
                group.addTask { try await body(index) }
                next += 1
            }
            while try await group.next() != nil {
                if next < count {
                    let index = next
                    group.addTask { try await body(index) }
                    next += 1
                }
            }
        }
    }

    /// MD5 of a download, fed range by range in order as ranges complete out of order, so hashing
    /// overlaps the transfer instead of following it.
    private static func hashInOrder(
        descriptor: Int32,
        finished: AsyncStream<Int>,
        rangeCount: Int,
        blockSize: Int64,
        size: Int64,
        enabled: Bool
    ) async throws -> [UInt8]? {
        guard enabled else {
            for await _ in finished {}
            return nil
        }
        var hasher = Insecure.MD5()
        var done = Set<Int>()
        var nextToHash = 0
        for await index in finished {
            done.insert(index)
            while done.remove(nextToHash) != nil {
                let offset = Int64(nextToHash) * blockSize
                try FileIO.forEachChunk(descriptor: descriptor, offset: offset, length: min(blockSize, size - offset)) {
                    chunk in
                    hasher.update(bufferPointer: chunk)
                }
                nextToHash += 1
            }
        }
        guard nextToHash == rangeCount else { return nil }
        return Array(hasher.finalize())
    }

    private static func fileMD5(descriptor: Int32, size: Int64) async throws -> [UInt8] {
        try MD5Digest.of(descriptor: descriptor, offset: 0, length: size)
    }

    private static func mapLocalErrors<T>(operation: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw Self.mapLocal(error, operation: operation)
        }
    }

    private static func mapLocal(_ error: any Error, operation: String) -> any Error {
        switch error {
        case let error as FileIOError:
            StorageError.localFile(operation: operation, message: "\(error)", diskFull: error.isDiskFull)
        case let error as StorageError where error.transportError?.isDiskFull == true:
            StorageError.localFile(operation: operation, message: error.message, diskFull: true)
        default:
            error
        }
    }
}
