public import Checkpoints
public import Foundation
public import StorageClient

extension StatusReport {
    /// Reads both queues' depths and the checkpoint folder.
    ///
    /// A queue that does not exist shows depth 0 with a note; one that cannot be read (no
    /// permission, no network) shows no depth and the error as its note. Only a checkpoint folder
    /// that cannot be read throws.
    ///
    /// - Parameters:
    ///   - queue: The work queue.
    ///   - poisonQueue: The poison queue.
    ///   - store: The checkpoint folder.
    ///   - recentFailures: How many recent failures to list.
    ///   - now: The report's time.
    public static func gather(
        queue: QueueClient,
        poisonQueue: QueueClient,
        store: CheckpointStore,
        recentFailures: Int = 10,
        now: Date = Date()
    ) async throws -> StatusReport {
        async let queueStatus = Self.status(of: queue)
        async let poisonStatus = Self.status(of: poisonQueue)
        let limit = max(0, recentFailures)
        let summary = try store.summary(recentFailures: limit)
        let deadLetters = try store.deadLetters()

        var byStep: [String: Int] = [:]
        for step in CheckpointStep.allCases { byStep[step.rawValue] = summary.count(step) }
        let checkpoints = CheckpointCounts(
            byStep: byStep,
            total: summary.totalRecords,
            unreadable: summary.unreadableRecords,
            activeClaims: summary.activeClaims,
            expiredClaims: summary.expiredClaims,
            deadLetterRecords: summary.deadLetters
        )
        return StatusReport(
            generatedAt: now,
            queue: await queueStatus,
            poisonQueue: await poisonStatus,
            checkpoints: checkpoints,
            recentFailures: Self.failures(records: summary.recentFailures, deadLetters: deadLetters, limit: limit)
        )
    }

    /// The queue's depth, or why it has none.
    private static func status(of queue: QueueClient) async -> QueueStatus {
        do {
            let properties = try await queue.properties()
            return QueueStatus(
                name: queue.name,
                exists: true,
                approximateMessageCount: properties.approximateMessageCount
            )
        } catch let error as StorageError where error.isNotFound {
            return QueueStatus(
                name: queue.name,
                exists: false,
                approximateMessageCount: 0,
                note: "the queue does not exist"
            )
        } catch {
            return QueueStatus(
                name: queue.name,
                exists: nil,
                approximateMessageCount: nil,
                note: "could not be read: \(error)"
            )
        }
    }

    /// Checkpoint records with an error and dead-letter records, merged (a dead-lettered version
    /// appears once, with its reason), newest first.
    private static func failures(records: [CheckpointRecord], deadLetters: [DeadLetterRecord], limit: Int) -> [Failure]
    {
        var byKey: [CheckpointKey: Failure] = [:]
        var unkeyed: [Failure] = []
        for record in records {
            byKey[record.key] = Failure(
                blob: record.container + "/" + record.blobName,
                eTag: record.eTag,
                step: record.step.rawValue,
                attempts: record.attempts,
                lastError: record.lastError,
                deadLetterReason: record.deadLetterReason,
                eventID: record.eventID,
                at: record.updatedAt
            )
        }
        // Only the newest dead letters can make the list; they come oldest first.
        for letter in deadLetters.suffix(limit) {
            let failure = Failure(
                blob: letter.key.map { $0.container + "/" + $0.blobName },
                eTag: letter.key?.eTag,
                step: CheckpointStep.deadLettered.rawValue,
                attempts: letter.attempts,
                lastError: letter.lastError ?? letter.message,
                deadLetterReason: letter.reason.rawValue,
                eventID: letter.eventID,
                at: letter.deadLetteredAt
            )
            guard let key = letter.key else {
                unkeyed.append(failure)
                continue
            }
            if var known = byKey[key] {
                known.deadLetterReason = known.deadLetterReason ?? failure.deadLetterReason
                known.lastError = known.lastError ?? failure.lastError
                known.eventID = known.eventID ?? failure.eventID
                known.at = max(known.at, failure.at)
                byKey[key] = known
            } else {
                byKey[key] = failure
            }
        }
        let all = Array(byKey.values) + unkeyed
        let newestFirst = all.sorted {
            ($0.at, $0.blob ?? "", $0.eventID ?? "") > ($1.at, $1.blob ?? "", $1.eventID ?? "")
        }
        return Array(newestFirst.prefix(limit))
    }
}
