public import StorageCore
import StorageHTTP

/// One Azure Storage queue: create it, read its depth, and send, receive, peek, update and
/// delete messages.
///
/// Message text is sent and returned as is; encoding (base64 or plain) is the caller's business,
/// as it is Event Grid's when it writes to a queue.
public struct QueueClient: Sendable {
    /// The queue's name.
    public let name: String
    private let pipeline: StoragePipeline

    /// A client for the queue `name` in the pipeline's account.
    public init(name: String, pipeline: StoragePipeline) {
        self.name = name
        self.pipeline = pipeline
    }

    /// The queue's URL, without any credential.
    public var url: String { self.pipeline.url(.queue, path: self.path) }

    private var path: String { "/" + PercentEncoding.encode(self.name) }

    /// Creates the queue; returns false when it already existed. Idempotent.
    @discardableResult
    public func createIfNotExists() async throws -> Bool {
        var operation = StorageOperation("CreateQueue", .queue, "PUT", path: self.path)
        operation.successOnRetry = [409]
        do {
            let response = try await self.pipeline.send(operation)
            return response.status == 201
        } catch let error as StorageError where error.isConflict {
            return false
        }
    }

    /// Deletes the queue and every message in it.
    public func delete() async throws {
        var operation = StorageOperation("DeleteQueue", .queue, "DELETE", path: self.path)
        operation.successOnRetry = [404]
        _ = try await self.pipeline.send(operation)
    }

    /// The queue's approximate message count and metadata.
    public func properties() async throws -> QueueProperties {
        let operation = StorageOperation(
            "GetQueueMetadata",
            .queue,
            "GET",
            path: self.path,
            query: [("comp", "metadata")]
        )
        let response = try await self.pipeline.send(operation)
        guard let count = response.header("x-ms-approximate-messages-count").flatMap({ Int($0) }) else {
            throw StorageError.decoding(
                operation: operation.name,
                requestID: response.header("x-ms-request-id"),
                message: "the reply has no x-ms-approximate-messages-count"
            )
        }
        var metadata: [String: String] = [:]
        for (name, value) in response.headers(withPrefix: "x-ms-meta-") { metadata[name] = value }
        return QueueProperties(approximateMessageCount: count, metadata: metadata)
    }

    /// Adds a message.
    ///
    /// Retried after an unknown outcome (a timeout or dropped connection): the message may then
    /// be in the queue twice. blobflow's consumer recognises a repeated event by its blob version
    /// and acknowledges it without repeating the work.
    ///
    /// - Parameters:
    ///   - visibilityTimeout: seconds before the message can be received (0 = at once).
    ///   - timeToLive: seconds the message lives; -1 for ever; nil for the service default (7 days).
    @discardableResult
    public func sendMessage(
        _ text: String,
        visibilityTimeout: Int? = nil,
        timeToLive: Int? = nil
    ) async throws -> SentQueueMessage {
        var query: [(name: String, value: String)] = []
        if let visibilityTimeout { query.append(("visibilitytimeout", String(visibilityTimeout))) }
        if let timeToLive { query.append(("messagettl", String(timeToLive))) }
        var operation = StorageOperation("PutMessage", .queue, "POST", path: self.path + "/messages", query: query)
        operation.body = .bytes(QueueXML.putMessageBody(text: text))
        operation.headers = [("Content-Type", "application/xml")]
        operation.safety = .duplicatesTolerated
        let response = try await self.pipeline.send(operation)
        return try self.decode(operation.name, response) { try QueueXML.sentMessage($0) }
    }

    /// Receives up to `maxMessages` (1...32) messages and hides them for `visibilityTimeout`
    /// seconds. An empty array means the queue had nothing visible.
    ///
    /// Receiving is not retried after an unknown outcome (the messages may have been handed out
    /// and will reappear after their timeout); it is retried when the service was busy.
    public func receiveMessages(maxMessages: Int = 32, visibilityTimeout: Int) async throws -> [ReceivedQueueMessage] {
        guard (1...32).contains(maxMessages) else {
            throw StorageError.configuration(
                operation: "GetMessages",
                message: "maxMessages must be 1...32, not \(maxMessages)"
            )
        }
        var operation = StorageOperation(
            "GetMessages",
            .queue,
            "GET",
            path: self.path + "/messages",
            query: [
                ("numofmessages", String(maxMessages)), ("visibilitytimeout", String(visibilityTimeout)),
            ]
        )
        // A lost reply only delays those messages by one visibility timeout: safe to retry.
        operation.safety = .idempotent
        let response = try await self.pipeline.send(operation)
        return try self.decode(operation.name, response) { try QueueXML.receivedMessages($0) }
    }

    /// Looks at up to `maxMessages` (1...32) visible messages without hiding them.
    public func peekMessages(maxMessages: Int = 32) async throws -> [PeekedQueueMessage] {
        guard (1...32).contains(maxMessages) else {
            throw StorageError.configuration(
                operation: "PeekMessages",
                message: "maxMessages must be 1...32, not \(maxMessages)"
            )
        }
        let operation = StorageOperation(
            "PeekMessages",
            .queue,
            "GET",
            path: self.path + "/messages",
            query: [
                ("peekonly", "true"), ("numofmessages", String(maxMessages)),
            ]
        )
        let response = try await self.pipeline.send(operation)
        return try self.decode(operation.name, response) { try QueueXML.peekedMessages($0) }
    }

    /// Changes a received message's visibility timeout (renewing its lease) and optionally its
    /// text. Returns the new pop receipt, which every later call on the message must use.
    ///
    /// Throws a ``StorageError`` with ``StorageError/isMessageGone`` when the receipt is stale:
    /// the message was deleted, or its lease lapsed and someone else received it.
    public func updateMessage(
        id: String,
        popReceipt: String,
        visibilityTimeout: Int,
        text: String? = nil
    ) async throws -> MessageReceipt {
        var operation = StorageOperation(
            "UpdateMessage",
            .queue,
            "PUT",
            path: self.messagePath(id),
            query: [
                ("popreceipt", popReceipt), ("visibilitytimeout", String(visibilityTimeout)),
            ]
        )
        if let text {
            operation.body = .bytes(QueueXML.putMessageBody(text: text))
            operation.headers = [("Content-Type", "application/xml")]
        }
        // A retry after an unknown outcome would carry a receipt the first try may have replaced.
        operation.safety = .unsafe
        let response = try await self.pipeline.send(operation)
        guard let receipt = response.header("x-ms-popreceipt"),
            let next = response.header("x-ms-time-next-visible").flatMap({ StorageDate(rfc1123: $0) })
        else {
            throw StorageError.decoding(
                operation: operation.name,
                requestID: response.header("x-ms-request-id"),
                message: "the reply lacks x-ms-popreceipt or x-ms-time-next-visible"
            )
        }
        return MessageReceipt(popReceipt: receipt, timeNextVisible: next)
    }

    /// Deletes a received message. A message already gone after a retried attempt counts as
    /// deleted; on the first attempt it throws (``StorageError/isMessageGone``).
    public func deleteMessage(id: String, popReceipt: String) async throws {
        var operation = StorageOperation(
            "DeleteMessage",
            .queue,
            "DELETE",
            path: self.messagePath(id),
            query: [("popreceipt", popReceipt)]
        )
        operation.successOnRetry = [404]
        _ = try await self.pipeline.send(operation)
    }

    /// Deletes every message in the queue.
    public func clearMessages() async throws {
        let operation = StorageOperation("ClearMessages", .queue, "DELETE", path: self.path + "/messages")
        _ = try await self.pipeline.send(operation)
    }

    private func messagePath(_ id: String) -> String {
        self.path + "/messages/" + PercentEncoding.encode(id)
    }

    private func decode<T>(_ operation: String, _ response: HTTPResponse, _ body: ([UInt8]) throws -> T) throws -> T {
        do {
            return try body(response.body)
        } catch {
            throw StorageError.decoding(
                operation: operation,
                requestID: response.header("x-ms-request-id"),
                message: "\(error)"
            )
        }
    }
}

/// A queue's approximate depth and metadata.
public struct QueueProperties: Sendable, Hashable {
    /// Messages in the queue, visible or not (approximate, as Azure reports it).
    public var approximateMessageCount: Int
    /// User metadata.
    public var metadata: [String: String]
}

/// What an Update Message returns: the receipt for the next call and when the message reappears.
public struct MessageReceipt: Sendable, Hashable {
    /// The new pop receipt.
    public var popReceipt: String
    /// When the message becomes visible again unless renewed or deleted.
    public var timeNextVisible: StorageDate
}
