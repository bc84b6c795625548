import BlobEvents
import Foundation
import Logging
import StorageCore

/// Raises `Microsoft.Storage.BlobCreated` events on queues when blobs are committed, the way an
/// Event Grid system topic with Storage Queue subscriptions does.
struct EventGridEmulator: Sendable {
    let subscriptions: [EventSubscription]
    let queues: QueueStore
    let blobEndpoint: @Sendable (String) -> String
    let logger: Logger
    private let sequencer = AtomicCounter()

    init(
        subscriptions: [EventSubscription],
        queues: QueueStore,
        blobEndpoint: @escaping @Sendable (String) -> String,
        logger: Logger
    ) {
        self.subscriptions = subscriptions
        self.queues = queues
        self.blobEndpoint = blobEndpoint
        self.logger = logger
    }

    /// The topic Azure would name for an account.
    static func topic(account: String) -> String {
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devstore/providers/Microsoft.Storage/storageAccounts/\(account)"
    }

    func blobCommitted(request: StorageRequest, container: String, record: BlobRecord, api: String) {
        let matching = self.subscriptions.filter {
            $0.matches(account: request.account, container: container, blobName: record.name)
        }
        guard !matching.isEmpty else { return }
        let now = StorageDate.now()
        let data = BlobCreatedData(
            api: api,
            clientRequestId: request.header("x-ms-client-request-id") ?? UUIDText.random(),
            requestId: request.requestID,
            eTag: record.quotedETag,
            contentType: record.properties.contentType ?? "application/octet-stream",
            contentLength: record.size,
            blobType: "BlockBlob",
            url: self.blobEndpoint(request.account) + container + "/"
                + PercentEncoding.encode(record.name, keepSlash: true),
            sequencer: self.nextSequencer(now),
            storageDiagnostics: ["batchId": UUIDText.random()]
        )
        let subject = BlobEventSubject(container: container, blobName: record.name).description
        let topic = Self.topic(account: request.account)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        for subscription in matching {
            let id = UUIDText.random()
            let json: Data
            do {
                switch subscription.schema {
                case .eventGrid:
                    json = try encoder.encode(
                        EventGridEvent(
                            topic: topic,
                            subject: subject,
                            eventType: "Microsoft.Storage.BlobCreated",
                            id: id,
                            data: data,
                            eventTime: now.iso8601(fractionDigits: 7)
                        )
                    )
                case .cloudEvents:
                    json = try encoder.encode(
                        CloudEvent(
                            type: "Microsoft.Storage.BlobCreated",
                            source: topic,
                            subject: subject,
                            id: id,
                            time: now.iso8601(fractionDigits: 7),
                            data: data
                        )
                    )
                }
            } catch {
                self.logger.error("event encoding failed", metadata: ["error": "\(error)"])
                continue
            }
            let text =
                subscription.encoding == .base64 ? Base64.encode(json) : String(decoding: json, as: UTF8.self)
            do {
                _ = try self.queues.put(
                    account: subscription.account,
                    queue: subscription.queue,
                    text: text,
                    visibilityTimeout: 0,
                    timeToLive: subscription.messageTTL
                )
                self.logger.debug(
                    "event raised",
                    metadata: ["subject": "\(subject)", "queue": "\(subscription.queue)", "api": "\(api)"]
                )
            } catch {
                // Event Grid would retry and then dead-letter; a missing destination queue is the usual cause here.
                self.logger.warning(
                    "event not delivered",
                    metadata: ["subject": "\(subject)", "queue": "\(subscription.queue)", "error": "\(error)"]
                )
            }
        }
    }

    /// 48 hex digits that increase across events and restarts: time, then a counter.
    private func nextSequencer(_ now: StorageDate) -> String {
        let ticks = UInt64(now.seconds) * 10_000_000 + UInt64(now.ticks)
        let value = self.sequencer.advance(past: ticks)
        return String(repeating: "0", count: 16) + String(value, radix: 16).leftPadded(to: 16)
            + String(repeating: "0", count: 16)
    }
}
