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
            blobPattern: options.blobPattern, eventID: options.eventID,
            olderThan: try age(options.olderThan, flag: "--older-than"), newerThan: try age(options.newerThan, flag: "--newer-than"),
            limit: options.limit
        )
        let consumer = runtime.settings.consumer
        let account = runtime.pipeline.account
        let replayer = DeadLetterReplayer(
            queue: runtime.pipeline.queue(consumer.queueName),
            poisonQueue: runtime.pipeline.queue(consumer.poisonQueueName),
            store: store,
            inputFilter: InputFilter(
                accountName: account.name, container: consumer.inputContainer, prefix: consumer.inputPrefix,
                excludedPrefixes: [(consumer.outputContainer, consumer.outputPrefix)], blobEndpointHost: account.blobEndpointHost
            ),
            logger: runtime.logger
        )
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
}
