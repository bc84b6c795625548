import ArgumentParser
import BlobEvents
import Checkpoints
import Consumer
import Foundation
import Logging
import Operations
import Settings
import StorageClient

/// Runs `--replay-dead-letters` for `blobflow` and `blobflow run` alike.
enum ReplayCommandSupport {
    static func replay(_ options: ReplayOptions, json: Bool, runtime: Runtime, store: CheckpointStore) async throws {
        func age(_ text: String?, flag: String) throws -> Duration? {
            guard let text else { return nil }
            guard let value = BlobflowSettings.parseDuration(text) else {
                throw ValidationError("\(flag): '\(text)' is not a duration (examples: 90s, 30m, 2h, 7d)")
            }
            return value
        }
        let filter = ReplayFilter(
            blobPattern: options.blobPattern,
            eventID: options.eventID,
            olderThan: try age(options.olderThan, flag: "--older-than"),
            newerThan: try age(options.newerThan, flag: "--newer-than"),
            limit: options.limit
        )
        let consumer = runtime.settings.consumer
        let replayer = DeadLetterReplayer(
            queue: runtime.pipeline.queue(consumer.queueName),
            poisonQueue: runtime.pipeline.queue(consumer.poisonQueueName),
            store: store,
            inputFilter: runtime.inputFilter(),
            logger: runtime.logger
        )
        if let container = options.fromEventGrid {
            try await self.replayEventGrid(
                from: container,
                filter: filter,
                options: options,
                json: json,
                runtime: runtime,
                replayer: replayer
            )
            return
        }
        let report: ReplayReport
        do {
            report = try await replayer.replay(filter: filter, dryRun: options.dryRun)
        } catch {
            runtime.logger.error("replay failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        print(json ? try report.json() : report.table())
        if report.counts.failed > 0 { throw ExitCode(1) }
    }

    /// `--replay-dead-letters --from-event-grid [CONTAINER]`.
    private static func replayEventGrid(
        from name: String,
        filter: ReplayFilter,
        options: ReplayOptions,
        json: Bool,
        runtime: Runtime,
        replayer: DeadLetterReplayer
    ) async throws {
        let report: EventGridReplayReport
        do {
            report = try await replayer.replayEventGridDeadLetters(
                container: runtime.pipeline.container(name),
                filter: filter,
                dryRun: options.dryRun
            )
        } catch let error as StorageError where error.isNotFound && error.operation.hasPrefix("List") {
            runtime.logger.error(
                "the Event Grid dead-letter container '\(name)' does not exist in this account (give its name: --from-event-grid NAME)"
            )
            throw ExitCode(1)
        } catch {
            runtime.logger.error("replay failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        print(json ? try report.json() : report.table())
        if report.rows.contains(where: { if case .failed = $0.action { true } else { false } }) { throw ExitCode(1) }
    }
}
