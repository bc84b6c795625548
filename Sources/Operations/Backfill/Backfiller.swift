public import BlobEvents
public import Checkpoints
public import Foundation
public import Logging
public import StorageClient
import StorageCore

/// Puts on the work queue a `BlobCreated` event for every blob version in the input container
/// that was never processed: files that were there before the Event Grid subscription existed,
/// or whose events were lost. This is `blobflow backfill`.
///
/// Each listed blob is turned into the event Event Grid would have sent for it and run through
/// the consumer's own decoder, so backfill skips exactly what the consumer would skip (outputs,
/// directory markers, names outside the input prefix). A version whose checkpoint record says
/// completed or dead-lettered is left alone; any other is enqueued. Running it twice is harmless:
/// the second run's events carry the same ids, and the consumer acknowledges a duplicate of a
/// version it has done without doing the work again.
///
/// Completed records are pruned after the checkpoint retention, so versions older than that look
/// new again: narrow old containers with ``Options/modifiedSince``.
public struct Backfiller: Sendable {
    /// What to list and how much to enqueue.
    public struct Options: Sendable {
        /// Only blobs under this prefix (within the consumer's input prefix).
        public var prefix: String?
        /// Only blobs last modified at or after this time.
        public var modifiedSince: Date?
        /// At most this many events.
        public var limit: Int?
        /// List and report, send nothing.
        public var dryRun: Bool

        /// Creates options; with no arguments, every blob is enqueued for real.
        public init(prefix: String? = nil, modifiedSince: Date? = nil, limit: Int? = nil, dryRun: Bool = false) {
            self.prefix = prefix
            self.modifiedSince = modifiedSince
            self.limit = limit
            self.dryRun = dryRun
        }
    }

    /// The input container.
    public let container: BlobContainerClient
    /// The work queue the consumer reads.
    public let queue: QueueClient
    /// The checkpoint folder the consumer uses.
    public let store: CheckpointStore
    /// The consumer's input filter (account, container, prefix, output location).
    public let inputFilter: InputFilter
    /// Events sent at once.
    public let concurrency: Int

    let logger: Logger

    /// Creates a backfiller.
    public init(
        container: BlobContainerClient,
        queue: QueueClient,
        store: CheckpointStore,
        inputFilter: InputFilter,
        concurrency: Int = 16,
        logger: Logger
    ) {
        self.container = container
        self.queue = queue
        self.store = store
        self.inputFilter = inputFilter
        self.concurrency = max(1, concurrency)
        self.logger = logger
    }

    /// Lists the input container and enqueues an event for each version not yet processed.
    ///
    /// - Parameter progress: Called with the running totals after each page of the listing.
    /// - Throws: ``OperationsError`` when the work queue or the input container is missing, or
    ///   `prefix` lies outside the input prefix; a storage or checkpoint error when listing or reading records fails. A
    ///   failure to send one event is recorded in its row instead.
    public func run(
        _ options: Options,
        progress: (BackfillReport.Counts) -> Void = { _ in }
    ) async throws -> BackfillReport {
        let prefix = try Self.listingPrefix(requested: options.prefix, input: self.inputFilter.prefix)
        if !options.dryRun {
            do {
                _ = try await self.queue.properties()
            } catch let error as StorageError where error.isNotFound {
                throw OperationsError.queueNotFound(self.queue.name)
            }
        }
        var counts = BackfillReport.Counts()
        var rows: [BackfillReport.Row] = []
        var limitReached = false
        do {
            try await self.list(
                prefix: prefix,
                options,
                counts: &counts,
                rows: &rows,
                limitReached: &limitReached,
                progress: progress
            )
        } catch let error as StorageError where error.isNotFound && error.operation == "ListBlobs" {
            throw OperationsError.containerNotFound(self.container.name)
        }
        let report = BackfillReport(
            dryRun: options.dryRun,
            container: self.container.name,
            prefix: prefix,
            queue: self.queue.name,
            counts: counts,
            limitReached: limitReached,
            rows: rows
        )
        self.logger.notice("\(report.summary)", metadata: ["dry_run": "\(options.dryRun)"])
        return report
    }

    private func list(
        prefix: String,
        _ options: Options,
        counts: inout BackfillReport.Counts,
        rows: inout [BackfillReport.Row],
        limitReached: inout Bool,
        progress: (BackfillReport.Counts) -> Void
    ) async throws {
        listing: for try await page in self.container.listBlobs(prefix: prefix.isEmpty ? nil : prefix) {
            var pending: [BackfillEvent] = []
            for item in page.blobs {
                if Task.isCancelled { break listing }
                counts.listed += 1
                guard let event = try self.candidate(item, modifiedSince: options.modifiedSince, counts: &counts) else {
                    continue
                }
                if let limit = options.limit, counts.enqueued + pending.count >= limit {
                    limitReached = true
                    break
                }
                pending.append(event)
            }
            let sent = options.dryRun ? pending.map { self.row($0, action: "would-enqueue") } : await self.send(pending)
            counts.enqueued += sent.count { $0.action != "failed" }
            counts.failed += sent.count { $0.action == "failed" }
            rows += sent
            progress(counts)
            if limitReached { break }
        }
    }

    /// The event for a listed blob, or nil (with the reason counted) when there is nothing to do.
    private func candidate(
        _ item: BlobListItem,
        modifiedSince: Date?,
        counts: inout BackfillReport.Counts
    ) throws -> BackfillEvent? {
        if let since = modifiedSince, let modified = item.properties.lastModified,
            modified.timeIntervalSince1970 < since.timeIntervalSince1970
        {
            counts.older += 1
            return nil
        }
        let event = BackfillEvent(
            accountName: self.inputFilter.accountName,
            container: self.container.name,
            blobName: item.name,
            properties: item.properties,
            url: self.container.blob(item.name).url
        )
        switch MessageDecoder.decode(try event.messageText(), filter: self.inputFilter) {
        case .skip(let reason, _, _):
            counts.skipped[reason.code, default: 0] += 1
            return nil
        case .poison(let reason):
            counts.skipped[reason.code, default: 0] += 1
            return nil
        case .work(let work):
            let key = CheckpointKey(
                account: work.accountName,
                container: work.container,
                blobName: work.blobName,
                eTag: work.eTag
            )
            switch try self.store.load(key)?.step {
            case .completed?:
                counts.done += 1
                return nil
            case .deadLettered?:
                counts.deadLettered += 1
                return nil
            default:
                return event
            }
        }
    }

    /// Sends the events, `concurrency` at a time; one row each.
    private func send(_ events: [BackfillEvent]) async -> [BackfillReport.Row] {
        await withTaskGroup(of: (Int, BackfillReport.Row).self) { group in
            var rows = [BackfillReport.Row?](repeating: nil, count: events.count)
            var next = 0
            func start() {
                guard next < events.count else { return }
                let index = next
                let event = events[index]
                next += 1
                group.addTask {
                    do {
                        _ = try await self.queue.sendMessage(try event.messageText(), timeToLive: -1)
                        return (index, self.row(event, action: "enqueued"))
                    } catch {
                        self.logger.error(
                            "backfill could not enqueue a blob",
                            metadata: ["blob": "\(event.blobName)", "error": "\(error)"]
                        )
                        return (index, self.row(event, action: "failed", error: "\(error)"))
                    }
                }
            }
            for _ in 0..<self.concurrency { start() }
            for await (index, row) in group {
                rows[index] = row
                start()
            }
            return rows.compactMap { $0 }
        }
    }

    private func row(_ event: BackfillEvent, action: String, error: String? = nil) -> BackfillReport.Row {
        BackfillReport.Row(
            blobName: event.blobName,
            bytes: event.properties.contentLength,
            eTag: event.properties.eTag,
            eventID: event.id,
            action: action,
            error: error
        )
    }

    /// The prefix to list: `requested` when it lies within the input prefix, the input prefix
    /// when `requested` is broader.
    static func listingPrefix(requested: String?, input: String) throws(OperationsError) -> String {
        guard let requested, !requested.isEmpty else { return input }
        if requested.utf8.starts(with: input.utf8) { return requested }
        if input.utf8.starts(with: requested.utf8) { return input }
        throw OperationsError.prefixOutsideInput(requested, input: input)
    }
}
