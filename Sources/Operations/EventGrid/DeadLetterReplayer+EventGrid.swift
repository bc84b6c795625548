public import StorageClient
import Foundation
import Logging

extension DeadLetterReplayer {
    /// Replays the events in Event Grid's own dead-letter blobs: each event goes to the work queue
    /// the way Event Grid would have delivered it (a one-event JSON array, base64-encoded, never
    /// expiring), and a blob is deleted only once every event in it was enqueued.
    ///
    /// A blob that cannot be read or parsed, or whose events could not all be sent, is kept and
    /// reported as failed; running the replay again sends its events again, and the consumer
    /// treats the repeats as duplicates. Checkpoints are not touched: these events never reached
    /// the queue, so no checkpoint was dead-lettered for them.
    ///
    /// - Parameters:
    ///   - container: The subscription's dead-letter container.
    ///   - prefix: Only blobs under this prefix, e.g. the upper-cased subscription name
    ///     (`BLOBFLOW-EVENTS/`) or a day (`BLOBFLOW-EVENTS/2026/11/20/`).
    ///   - maxBlobBytes: Blobs larger than this are reported as failed rather than read.
    ///   - dryRun: Only read and report.
    public func replayEventGridDeadLetters(
        container: BlobContainerClient,
        prefix: String? = nil,
        maxBlobBytes: Int = 64 * 1024 * 1024,
        dryRun: Bool
    ) async throws -> EventGridReplayReport {
        if !dryRun {
            try await self.requireWorkQueue()
        }
        var rows: [EventGridReplayReport.Row] = []
        listing: for try await page in container.listBlobs(prefix: prefix) {
            for item in page.blobs {
                if Task.isCancelled { break listing }
                rows.append(await self.replayEventGridBlob(container.blob(item.name), size: item.properties.contentLength, maxBytes: maxBlobBytes, dryRun: dryRun))
            }
        }
        let report = EventGridReplayReport(dryRun: dryRun, container: container.name, queue: self.queue.name, rows: rows)
        self.logger.notice("\(report.summary)", metadata: ["dry_run": "\(dryRun)"])
        return report
    }

    private func replayEventGridBlob(_ blob: BlobClient, size: Int64, maxBytes: Int, dryRun: Bool) async -> EventGridReplayReport.Row {
        var logger = self.logger
        logger[metadataKey: "dead_letter_blob"] = "\(blob.container)/\(blob.name)"
        func failed(_ message: String, events: [EventGridDeadLetter] = [], enqueued: Int = 0) -> EventGridReplayReport.Row {
            logger.error("Event Grid dead-letter blob kept: \(message)")
            return EventGridReplayReport.Row(
                blobName: blob.name, events: events.count, enqueued: enqueued, eventIDs: events.compactMap(\.eventID),
                deadLetterReasons: EventGridDeadLetter.reasons(events), action: .failed(message)
            )
        }
        guard size <= Int64(maxBytes) else {
            return failed("the blob is \(size) bytes, more than the \(maxBytes) allowed")
        }
        let events: [EventGridDeadLetter]
        do {
            events = try EventGridDeadLetter.parse(try await blob.downloadBytes(limit: maxBytes))
        } catch {
            return failed("cannot read the blob: \(error)")
        }
        if dryRun {
            return EventGridReplayReport.Row(
                blobName: blob.name, events: events.count, enqueued: 0, eventIDs: events.compactMap(\.eventID),
                deadLetterReasons: EventGridDeadLetter.reasons(events), action: .wouldMove
            )
        }
        var enqueued = 0
        for event in events {
            do {
                _ = try await self.queue.sendMessage(event.messageText, timeToLive: -1)
                enqueued += 1
            } catch {
                return failed("sent \(enqueued) of \(events.count) events, then: \(error)", events: events, enqueued: enqueued)
            }
        }
        do {
            try await blob.deleteIfExists()
        } catch {
            return failed("all \(events.count) events were enqueued, but the blob could not be deleted: \(error)", events: events, enqueued: enqueued)
        }
        logger.info("Event Grid dead letters replayed", metadata: ["events": "\(events.count)"])
        return EventGridReplayReport.Row(
            blobName: blob.name, events: events.count, enqueued: enqueued, eventIDs: events.compactMap(\.eventID),
            deadLetterReasons: EventGridDeadLetter.reasons(events), action: .moved
        )
    }
}
