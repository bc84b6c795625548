import Foundation
import StorageCore

/// One change to the queue state, as written to the journal.
struct QueueJournalRecord: Codable, Sendable {
    enum Operation: String, Codable, Sendable {
        case createQueue, deleteQueue, setMetadata, store, remove, clear
    }

    var op: Operation
    var account: String
    var queue: String
    var metadata: [String: String]?
    var message: QueueMessage?
    var id: String?
}

/// An append-only journal of queue changes: every acknowledged change is written (to the page
/// cache) before the response leaves, so a killed server loses nothing a client was told about.
/// On start the journal is replayed and rewritten compactly.
final class QueueJournal: @unchecked Sendable {
    // Guarded by the queue store's lock: every call happens while the store holds it.
    private var descriptor: Int32 = -1
    private let path: String
    private var recordsWritten = 0
    private let encoder = JSONEncoder()

    init(path: String) {
        self.path = path
    }

    deinit {
        if self.descriptor >= 0 { close(self.descriptor) }
    }

    /// Reads every record; a torn last line (a crash mid-write) is ignored.
    func replay() throws -> [QueueJournalRecord] {
        guard let data = FileManager.default.contents(atPath: self.path) else { return [] }
        let decoder = JSONDecoder()
        var records: [QueueJournalRecord] = []
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard let record = try? decoder.decode(QueueJournalRecord.self, from: Data(line)) else { continue }
            records.append(record)
        }
        return records
    }

    /// Replaces the journal with `records` (atomically) and opens it for appending.
    func rewrite(with records: [QueueJournalRecord]) throws {
        var data = Data()
        for record in records {
            data.append(try self.encoder.encode(record))
            data.append(UInt8(ascii: "\n"))
        }
        let temporary = self.path + ".tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, self.path) == 0 else {
            throw DevStorageIOError("cannot replace queue journal \(self.path): \(String(cString: strerror(errno)))")
        }
        if self.descriptor >= 0 { close(self.descriptor) }
        self.descriptor = open(self.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard self.descriptor >= 0 else {
            throw DevStorageIOError("cannot open queue journal \(self.path): \(String(cString: strerror(errno)))")
        }
        self.recordsWritten = records.count
    }

    /// Appends records in one write. A write that fails part-way (disk full) is cut off again,
    /// so the journal never keeps a torn line that the next record would be glued to.
    func append(_ records: [QueueJournalRecord]) throws {
        guard !records.isEmpty else { return }
        var data = Data()
        for record in records {
            data.append(try self.encoder.encode(record))
            data.append(UInt8(ascii: "\n"))
        }
        let end = lseek(self.descriptor, 0, SEEK_END)
        do {
            try data.withUnsafeBytes {
                try DevStorageIOError.writeAll($0, to: self.descriptor, what: "the queue journal")
            }
        } catch {
            if end >= 0 { _ = ftruncate(self.descriptor, end) }
            throw error
        }
        self.recordsWritten += records.count
    }

    var recordCount: Int { self.recordsWritten }
}

/// A failure to read or write the server's own files.
struct DevStorageIOError: Error, CustomStringConvertible {
    let description: String
    /// The disk is full (ENOSPC or EDQUOT).
    let isDiskFull: Bool
    init(_ description: String, isDiskFull: Bool = false) {
        self.description = description
        self.isDiskFull = isDiskFull
    }

    /// Writes every byte to a file descriptor, retrying short and interrupted writes.
    static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, what: String) throws(DevStorageIOError)
    {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw DevStorageIOError(
                    "cannot write \(what): \(String(cString: strerror(errno)))",
                    isDiskFull: errno == ENOSPC || errno == EDQUOT
                )
            }
            offset += written
        }
    }
}
