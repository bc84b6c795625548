import BlobEvents
import Foundation
import Logging
public import StorageClient
import StorageCore

extension DeadLetterReplayer {
    /// Replays the events in Event Grid's own dead-letter blobs: each event goes to the work queue
    /// the way Event Grid would have delivered it (a one-event JSON array, base64-encoded, never
    /// expiring). This is `blobflow --replay-dead-letters --from-event-grid`.
    ///
    /// A blob is changed only once every selected event in it was enqueued: deleted when all its
    /// events were selected, otherwise rewritten with the events the filter left out (both only if
    /// the blob is still the version that was read). A blob that cannot be read or parsed, or
    /// whose events could not all be sent, is kept and reported as failed; running the replay
    /// again sends its events again, and the consumer treats the repeats as duplicates.
    /// Checkpoints are not touched: these events never reached the queue, so no checkpoint was
    /// dead-lettered for them.
    ///
    /// - Parameters:
    ///   - container: The subscription's dead-letter container.
    ///   - prefix: Only blobs under this prefix, e.g. the upper-cased subscription name
    ///     (`BLOBFLOW-EVENTS/`) or a day (`BLOBFLOW-EVENTS/2026/11/20/`).
    ///   - filter: Which events: by the blob they are about (their `subject`), event id, and age
    ///     (time since Event Grid's last delivery attempt, else since the dead-letter blob was
    ///     written); `limit` counts events.
    ///   - maxBlobBytes: Blobs larger than this are reported as failed rather than read.
    ///   - dryRun: Only read and report.
    public func replayEventGridDeadLetters(
        container: BlobContainerClient,
        prefix: String? = nil,
        filter: ReplayFilter = ReplayFilter(),
        maxBlobBytes: Int = 64 * 1024 * 1024,
        dryRun: Bool
    ) async throws -> EventGridReplayReport {
        if !dryRun {
            try await self.requireWorkQueue()
        }
        var rows: [EventGridReplayReport.Row] = []
        var budget = filter.limit ?? Int.max
        listing: for try await page in container.listBlobs(prefix: prefix) {
            for item in page.blobs {
                if Task.isCancelled || budget <= 0 { break listing }
                let blob = DeadLetterBlob(client: container.blob(item.name), properties: item.properties)
                if let row = await self.replayEventGridBlob(
                    blob,
                    filter: filter,
                    budget: &budget,
                    maxBytes: maxBlobBytes,
                    dryRun: dryRun
                ) {
                    rows.append(row)
                }
            }
        }
        let report = EventGridReplayReport(
            dryRun: dryRun,
            container: container.name,
            queue: self.queue.name,
            rows: rows
        )
        self.logger.notice("\(report.summary)", metadata: ["dry_run": "\(dryRun)"])
        return report
    }

    /// One dead-letter blob as the listing described it.
    private struct DeadLetterBlob {
        let client: BlobClient
        let properties: BlobProperties
    }

    /// Replays the selected events of one blob; nil when the filter selects none of them.
    private func replayEventGridBlob(
        _ blob: DeadLetterBlob,
        filter: ReplayFilter,
        budget: inout Int,
        maxBytes: Int,
        dryRun: Bool
    ) async -> EventGridReplayReport.Row? {
        var logger = self.logger
        logger[metadataKey: "dead_letter_blob"] = "\(blob.client.container)/\(blob.client.name)"
        func row(
            _ action: ReplayReport.Action,
            _ selected: [EventGridDeadLetter],
            kept: Int = 0,
            enqueued: Int = 0
        ) -> EventGridReplayReport.Row {
            if case .failed(let message) = action { logger.error("Event Grid dead-letter blob kept: \(message)") }
            return EventGridReplayReport.Row(
                blobName: blob.client.name,
                events: selected.count,
                enqueued: enqueued,
                eventIDs: selected.compactMap(\.eventID),
                deadLetterReasons: EventGridDeadLetter.reasons(selected),
                action: action,
                kept: kept
            )
        }
        guard blob.properties.contentLength <= Int64(maxBytes) else {
            return row(
                .failed("the blob is \(blob.properties.contentLength) bytes, more than the \(maxBytes) allowed"),
                []
            )
        }
        let events: [EventGridDeadLetter]
        do {
            events = try EventGridDeadLetter.parse(try await blob.client.downloadBytes(limit: maxBytes))
        } catch {
            return row(.failed("cannot read the blob: \(error)"), [])
        }
        let (selected, kept) = self.select(
            events,
            filter: filter,
            written: blob.properties.lastModified,
            budget: &budget
        )
        guard !selected.isEmpty else { return nil }
        if dryRun { return row(.wouldMove, selected, kept: kept.count) }

        var enqueued = 0
        for event in selected {
            do {
                _ = try await self.queue.sendMessage(event.messageText, timeToLive: -1)
                enqueued += 1
            } catch {
                return row(
                    .failed("sent \(enqueued) of \(selected.count) events, then: \(error)"),
                    selected,
                    kept: events.count,
                    enqueued: enqueued
                )
            }
        }
        do {
            if kept.isEmpty {
                try await blob.client.deleteIfExists(ifMatch: blob.properties.eTag)
            } else {
                try await blob.client.upload(
                    EventGridDeadLetter.blobBytes(kept),
                    contentType: "application/json",
                    ifMatch: blob.properties.eTag
                )
            }
        } catch {
            let change = kept.isEmpty ? "deleted" : "rewritten without them"
            return row(
                .failed("all \(selected.count) events were enqueued, but the blob could not be \(change): \(error)"),
                selected,
                kept: events.count,
                enqueued: enqueued
            )
        }
        logger.info("Event Grid dead letters replayed", metadata: ["events": "\(enqueued)", "kept": "\(kept.count)"])
        return row(.moved, selected, kept: kept.count, enqueued: enqueued)
    }

    /// Splits a blob's events into those the filter takes (at most `budget`, which is reduced)
    /// and those it leaves in the blob.
    private func select(
        _ events: [EventGridDeadLetter],
        filter: ReplayFilter,
        written: StorageDate?,
        budget: inout Int
    ) -> (selected: [EventGridDeadLetter], kept: [EventGridDeadLetter]) {
        let now = self.clock()
        let fallback = written.map { Date(timeIntervalSince1970: $0.timeIntervalSince1970) } ?? now
        var selected: [EventGridDeadLetter] = []
        var kept: [EventGridDeadLetter] = []
        for event in events {
            let seconds = max(0, now.timeIntervalSince(event.deadLetteredAt ?? fallback))
            let matches = filter.matches(
                eventID: event.eventID,
                container: event.subject?.container,
                blobName: event.subject?.blobName,
                age: .milliseconds(Int64(seconds * 1000))
            )
            if matches && budget > 0 {
                selected.append(event)
                budget -= 1
            } else {
                kept.append(event)
            }
        }
        return (selected, kept)
    }
}
