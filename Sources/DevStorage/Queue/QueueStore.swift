import Foundation
import StorageCore
import Synchronization

/// All queues of all accounts, persisted through a ``QueueJournal``.
final class QueueStore: Sendable {
    private struct State {
        var queues: [String: [String: DevQueue]] = [:]
        var nextSequence: UInt64 = 0
    }

    private let state: Mutex<State>
    private let journal: QueueJournal

    init(location: String) throws {
        try FileManager.default.createDirectory(atPath: location, withIntermediateDirectories: true)
        let journal = QueueJournal(path: location + "/queues.journal")
        var state = State()
        for record in try journal.replay() {
            Self.apply(record, to: &state)
        }
        try journal.rewrite(with: Self.snapshot(of: state.queues))
        self.journal = journal
        self.state = Mutex(state)
    }

    // MARK: Queues

    enum CreateOutcome { case created, existed }

    func createQueue(
        account: String,
        name: String,
        metadata: [String: String]
    ) throws(StorageServiceError) -> CreateOutcome {
        try self.mutate { state, records in
            if let existing = state.queues[account]?[name] {
                guard existing.metadata == metadata else { throw StorageServiceError.queueAlreadyExists }
                return .existed
            }
            records.append(.init(op: .createQueue, account: account, queue: name, metadata: metadata))
            return .created
        }
    }

    func deleteQueue(account: String, name: String) throws(StorageServiceError) {
        try self.mutate { state, records in
            guard state.queues[account]?[name] != nil else { throw StorageServiceError.queueNotFound }
            records.append(.init(op: .deleteQueue, account: account, queue: name))
        }
    }

    func listQueues(account: String) -> [(name: String, metadata: [String: String])] {
        self.state.withLock { state in
            (state.queues[account] ?? [:]).map { ($0.key, $0.value.metadata) }.sorted { $0.name < $1.name }
        }
    }

    func properties(
        account: String,
        name: String
    ) throws(StorageServiceError) -> (metadata: [String: String], count: Int) {
        try self.state.withLock { state throws(StorageServiceError) in
            guard let queue = state.queues[account]?[name] else { throw .queueNotFound }
            return (queue.metadata, queue.count)
        }
    }

    func setMetadata(account: String, name: String, metadata: [String: String]) throws(StorageServiceError) {
        try self.mutate { state, records in
            guard state.queues[account]?[name] != nil else { throw StorageServiceError.queueNotFound }
            records.append(.init(op: .setMetadata, account: account, queue: name, metadata: metadata))
        }
    }

    // MARK: Messages

    func put(
        account: String,
        queue: String,
        text: String,
        visibilityTimeout: Int,
        timeToLive: Int
    ) throws(StorageServiceError) -> QueueMessage {
        try self.mutate { state, records in
            guard state.queues[account]?[queue] != nil else { throw StorageServiceError.queueNotFound }
            let now = StorageDate.now()
            let message = QueueMessage(
                id: UUIDText.random(),
                text: text,
                insertionTime: now,
                expirationTime: timeToLive == -1 ? nil : now.adding(seconds: Int64(timeToLive)),
                timeNextVisible: now.adding(seconds: Int64(visibilityTimeout)),
                dequeueCount: 0,
                popReceipt: PopReceipt.random(),
                sequence: state.nextSequence + 1
            )
            records.append(.init(op: .store, account: account, queue: queue, message: message))
            return message
        }
    }

    func receive(
        account: String,
        queue: String,
        count: Int,
        visibilityTimeout: Int
    ) throws(StorageServiceError) -> [QueueMessage] {
        try self.mutate { state, records in
            guard state.queues[account]?[queue] != nil else { throw StorageServiceError.queueNotFound }
            let now = StorageDate.now()
            let (visible, expired) = state.queues[account]![queue]!.visibleMessages(limit: count, now: now)
            for id in expired { records.append(.init(op: .remove, account: account, queue: queue, id: id)) }
            var received: [QueueMessage] = []
            for var message in visible {
                message.dequeueCount += 1
                message.popReceipt = PopReceipt.random()
                message.timeNextVisible = now.adding(seconds: Int64(visibilityTimeout))
                records.append(.init(op: .store, account: account, queue: queue, message: message))
                received.append(message)
            }
            return received
        }
    }

    func peek(account: String, queue: String, count: Int) throws(StorageServiceError) -> [QueueMessage] {
        try self.mutate { state, records in
            guard state.queues[account]?[queue] != nil else { throw StorageServiceError.queueNotFound }
            let (visible, expired) = state.queues[account]![queue]!.visibleMessages(
                limit: count,
                now: StorageDate.now()
            )
            for id in expired { records.append(.init(op: .remove, account: account, queue: queue, id: id)) }
            return visible
        }
    }

    func update(
        account: String,
        queue: String,
        id: String,
        popReceipt: String,
        visibilityTimeout: Int,
        text: String?
    ) throws(StorageServiceError) -> QueueMessage {
        try self.mutate { state, records in
            guard state.queues[account]?[queue] != nil else { throw StorageServiceError.queueNotFound }
            guard var message = state.queues[account]![queue]!.messages[id], !message.isExpired(at: StorageDate.now())
            else {
                throw StorageServiceError.messageNotFound
            }
            guard message.popReceipt == popReceipt else { throw StorageServiceError.popReceiptMismatch }
            message.popReceipt = PopReceipt.random()
            message.timeNextVisible = StorageDate.now().adding(seconds: Int64(visibilityTimeout))
            if let text { message.text = text }
            records.append(.init(op: .store, account: account, queue: queue, message: message))
            return message
        }
    }

    func delete(account: String, queue: String, id: String, popReceipt: String) throws(StorageServiceError) {
        try self.mutate { state, records in
            guard state.queues[account]?[queue] != nil else { throw StorageServiceError.queueNotFound }
            guard let message = state.queues[account]![queue]!.messages[id] else {
                throw StorageServiceError.messageNotFound
            }
            guard message.popReceipt == popReceipt else { throw StorageServiceError.popReceiptMismatch }
            records.append(.init(op: .remove, account: account, queue: queue, id: id))
        }
    }

    func clear(account: String, queue: String) throws(StorageServiceError) {
        try self.mutate { state, records in
            guard state.queues[account]?[queue] != nil else { throw StorageServiceError.queueNotFound }
            records.append(.init(op: .clear, account: account, queue: queue))
        }
    }

    // MARK: Persistence

    /// Runs a change under the lock: `body` checks the request and describes the change as
    /// journal records (it may reorder a queue's visibility index, never change what a client
    /// can observe); the records are applied to memory only once the journal holds them. A
    /// failed write (disk full) thus answers 500 and changes nothing, in memory or on disk, so
    /// no acknowledged change is lost and no refused one comes back after a restart.
    private func mutate<Result>(
        _ body: (inout State, inout [QueueJournalRecord]) throws -> Result
    ) throws(StorageServiceError) -> Result {
        do {
            return try self.state.withLock { state in
                var records: [QueueJournalRecord] = []
                let result = try body(&state, &records)
                try self.journal.append(records)
                for record in records { Self.apply(record, to: &state) }
                if self.journal.recordCount > 200_000,
                    self.journal.recordCount > 4
                        * state.queues.values.reduce(0, { $0 + $1.values.reduce(0) { $0 + $1.count } })
                {
                    // Compaction only shortens the journal: the change is already durable, so a
                    // failure here (disk full) keeps the longer journal and fails nothing.
                    try? self.journal.rewrite(with: Self.snapshot(of: state.queues))
                }
                return result
            }
        } catch let error as StorageServiceError {
            throw error
        } catch {
            throw .internalError("Queue journal: \(error)")
        }
    }

    private static func apply(_ record: QueueJournalRecord, to state: inout State) {
        switch record.op {
        case .createQueue:
            state.queues[record.account, default: [:]][record.queue] = DevQueue(metadata: record.metadata ?? [:])
        case .deleteQueue:
            state.queues[record.account]?[record.queue] = nil
        case .setMetadata:
            state.queues[record.account]?[record.queue]?.metadata = record.metadata ?? [:]
        case .store:
            if let message = record.message {
                state.queues[record.account]?[record.queue]?.store(message)
                state.nextSequence = max(state.nextSequence, message.sequence)
            }
        case .remove:
            if let id = record.id { state.queues[record.account]?[record.queue]?.remove(id) }
        case .clear:
            state.queues[record.account]?[record.queue]?.removeAll()
        }
    }

    private static func snapshot(of queues: [String: [String: DevQueue]]) -> [QueueJournalRecord] {
        var records: [QueueJournalRecord] = []
        for (account, byName) in queues {
            for (name, queue) in byName {
                records.append(.init(op: .createQueue, account: account, queue: name, metadata: queue.metadata))
                for message in queue.messages.values.sorted(by: { $0.sequence < $1.sequence }) {
                    records.append(.init(op: .store, account: account, queue: name, message: message))
                }
            }
        }
        return records
    }
}

/// Random identifiers in the forms Azure uses.
enum UUIDText {
    static func random() -> String { UUID().uuidString.lowercased() }
}

enum PopReceipt {
    /// An opaque receipt; base64 like Azure's, so clients must URL-encode it as they must in Azure.
    static func random() -> String {
        var bytes = [UInt8](repeating: 0, count: 12)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        return Base64.encode(bytes)
    }
}
