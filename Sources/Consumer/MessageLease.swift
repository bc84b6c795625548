import Logging
import StorageClient
import Synchronization

/// A received message's hold on the queue: its id and its newest pop receipt.
///
/// Every Update Message returns a new receipt and invalidates the old one, so the receipt lives
/// here, in one place, and every later update, release or delete reads the newest.
final class MessageLease: Sendable {
    let messageID: String
    private let receipt: Mutex<String>

    init(messageID: String, popReceipt: String) {
        self.messageID = messageID
        self.receipt = Mutex(popReceipt)
    }

    var popReceipt: String { self.receipt.withLock { $0 } }

    func renewed(_ receipt: String) {
        self.receipt.withLock { $0 = receipt }
    }
}

/// The lease was lost while work ran: someone deleted the message or received it after its
/// visibility lapsed. The work is abandoned; its owner now is whoever holds the message.
struct LeaseLost: Error, CustomStringConvertible {
    let messageID: String
    let detail: String
    var description: String { "lost the lease on message \(self.messageID): \(self.detail)" }
}

/// Keeps a message invisible for as long as its work runs, renewing at a third of the visibility
/// timeout with the newest pop receipt. Returns when cancelled (the work finished) or throws
/// ``LeaseLost`` when renewal shows the message is no longer ours.
struct LeaseKeeper: Sendable {
    let queue: QueueClient
    let visibilityTimeout: Int
    let logger: Logger

    /// - Parameter renewed: called after each successful renewal (to extend the checkpoint claim);
    ///   throwing ``LeaseLost`` from it abandons the work.
    func keep(_ lease: MessageLease, renewed: @Sendable () async throws -> Void) async throws {
        let interval = Duration.seconds(max(1, self.visibilityTimeout / 3))
        var lastRenewal = ContinuousClock.now
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            do {
                let receipt = try await self.queue.updateMessage(
                    id: lease.messageID,
                    popReceipt: lease.popReceipt,
                    visibilityTimeout: self.visibilityTimeout
                )
                lease.renewed(receipt.popReceipt)
                lastRenewal = ContinuousClock.now
                try await renewed()
                self.logger.trace("lease renewed", metadata: ["message_id": "\(lease.messageID)"])
            } catch is CancellationError {
                return
            } catch let error as LeaseLost {
                throw error
            } catch let error as StorageError where error.isMessageGone {
                throw LeaseLost(messageID: lease.messageID, detail: "\(error)")
            } catch {
                // Renewal failed for another reason (the service is unreachable after retries).
                // Keep trying while the last renewal still holds the message.
                let held = ContinuousClock.now - lastRenewal
                self.logger.warning(
                    "lease renewal failed; will retry",
                    metadata: ["message_id": "\(lease.messageID)", "error": "\(error)"]
                )
                if held >= .seconds(self.visibilityTimeout) {
                    throw LeaseLost(
                        messageID: lease.messageID,
                        detail: "could not renew for \(self.visibilityTimeout) s: \(error)"
                    )
                }
            }
        }
    }
}
