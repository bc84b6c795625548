import BlobEvents
import Checkpoints
import DevStorage
import DevStorageTesting
import Foundation
import Logging
import Operations
import StorageClient
import StorageHTTP

/// A development server, a work queue and a poison queue on it, and a checkpoint folder in a
/// temporary directory: what the replay and status tests need, removed afterwards.
struct OperationsHarness: Sendable {
    let pipeline: StoragePipeline
    let queue: QueueClient
    let poisonQueue: QueueClient
    let store: CheckpointStore
    let filter: InputFilter
    let logger = Logger(label: "operations-test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` with both queues created (unless `createQueues` is false) and an empty store.
    static func run<Result: Sendable>(
        createQueues: Bool = true,
        _ body: @Sendable (OperationsHarness) async throws -> Result
    ) async throws -> Result {
        try await withDevStorage { endpoints in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "operations-\(UUID().uuidString)"
            ).path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let pipeline = StoragePipeline(
                account: try StorageAccount(connectionString: endpoints.connectionString()),
                http: try CurlTransport()
            )
            let harness = OperationsHarness(
                pipeline: pipeline,
                queue: pipeline.queue("blobflow-events"),
                poisonQueue: pipeline.queue("blobflow-events-poison"),
                store: try CheckpointStore(directory: folder + "/checkpoints", replicaID: "test-replica"),
                filter: InputFilter(accountName: pipeline.account.name, container: "input")
            )
            if createQueues {
                try await harness.queue.createIfNotExists()
                try await harness.poisonQueue.createIfNotExists()
            }
            return try await body(harness)
        }
    }

    /// A replayer over the harness's queues and store.
    func replayer(clock: @escaping @Sendable () -> Date = { Date() }) -> DeadLetterReplayer {
        DeadLetterReplayer(
            queue: self.queue,
            poisonQueue: self.poisonQueue,
            store: self.store,
            inputFilter: self.filter,
            visibilityTimeout: 300,
            logger: self.logger,
            clock: clock
        )
    }

    /// The key the consumer uses for a blob version.
    func key(container: String = "input", _ name: String, eTag: String) -> CheckpointKey {
        CheckpointKey(account: self.pipeline.account.name, container: container, blobName: name, eTag: eTag)
    }

    /// Does what the consumer does when it gives up on an event: the text goes to the poison
    /// queue (never expiring), a dead-letter record is written and the checkpoint is marked
    /// dead-lettered. Returns the message text.
    @discardableResult
    func deadLetter(
        _ event: TestEvent,
        attempts: Int = 5,
        reason: DeadLetterRecord.Reason = .dequeueLimitReached
    ) async throws -> String {
        let text = event.messageText
        try await self.poisonQueue.sendMessage(text, timeToLive: -1)
        let key = self.key(container: event.container, event.blobName, eTag: event.eTag)
        let detail = "app-exit-1: the app failed"
        try self.store.saveDeadLetter(
            DeadLetterRecord(
                key: key,
                reason: reason,
                message: detail,
                attempts: attempts,
                lastError: detail,
                messageText: text,
                messageID: "work-\(event.id)",
                eventID: event.id,
                deadLetteredAt: Date(),
                replicaID: "test-replica"
            )
        )
        var record = CheckpointRecord(
            key: key,
            eventID: event.id,
            messageID: "work-\(event.id)",
            replicaID: "test-replica"
        )
        record.attempts = attempts
        record.lastError = detail
        record.markDeadLettered(reason: reason.rawValue)
        try self.store.save(record)
        return text
    }

    /// Dead-letters a message that is not an event at all, as the consumer does (no key).
    func deadLetterUndecodable(_ text: String) async throws {
        try await self.poisonQueue.sendMessage(text, timeToLive: -1)
        try self.store.saveDeadLetter(
            DeadLetterRecord(
                key: nil,
                reason: .undecodableMessage,
                message: "not-json: the message is not JSON",
                attempts: 1,
                lastError: "not-json: the message is not JSON",
                messageText: text,
                messageID: "work-\(UUID().uuidString)",
                eventID: nil,
                deadLetteredAt: Date(),
                replicaID: "test-replica"
            )
        )
    }

    /// The texts of every visible message in `queue` (up to 32).
    func visibleTexts(_ queue: QueueClient) async throws -> [String] {
        try await queue.peekMessages(maxMessages: 32).map(\.text).sorted()
    }
}

/// A `Microsoft.Storage.BlobCreated` event in the Event Grid schema, as Event Grid writes it to a
/// queue: a base64-encoded JSON object.
struct TestEvent: Sendable {
    var id: String = UUID().uuidString.lowercased()
    var container: String = "input"
    var blobName: String
    var eTag: String = "0x8DC" + String(UInt64.random(in: 0...UInt64.max), radix: 16, uppercase: true)

    init(_ blobName: String, container: String = "input") {
        self.blobName = blobName
        self.container = container
    }

    /// The event as compact JSON.
    var json: String {
        let object: [String: Any] = [
            "topic":
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devstore/providers/Microsoft.Storage/storageAccounts/devstoreaccount1",
            "subject": "/blobServices/default/containers/\(self.container)/blobs/\(self.blobName)",
            "eventType": "Microsoft.Storage.BlobCreated",
            "eventTime": "2026-11-20T09:15:42.1234567Z",
            "id": self.id,
            "data": [
                "api": "PutBlob",
                "clientRequestId": "a1b2c3d4-0000-4e5f-8a9b-000000000001",
                "requestId": "4a7f3c2e-201e-0062-51b0-1a2b3c000000",
                "eTag": "\"\(self.eTag)\"",
                "contentType": "application/octet-stream",
                "contentLength": 16,
                "blobType": "BlockBlob",
                "url": "http://127.0.0.1:10000/devstoreaccount1/\(self.container)/\(self.blobName)",
                "sequencer": "000000000000000000000000000174A9000000000009c2f1",
            ] as [String: Any],
            "dataVersion": "",
            "metadataVersion": "1",
        ]
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// What Event Grid puts in the queue: base64 of the JSON.
    var messageText: String { Data(self.json.utf8).base64EncodedString() }
}
