import ArgumentParser
import Consumer
import Logging
import Operations
import Settings
import StorageClient

/// `blobflow status`: queue depth, poison depth, checkpoints by step, recent failures.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the work and poison queue depths, checkpoints by step and recent failures."
    )

    @OptionGroup(title: "Configuration")
    var options: ConfigurationOptions

    @Option(help: ArgumentHelp("How many recent failures to list.", valueName: "n"))
    var failures = 10

    @OptionGroup
    var output: OutputOptions

    func run() async throws {
        let runtime = try Runtime.start(self.options, defaultLogFormat: .text)
        let store = try runtime.openStore()
        let consumer = runtime.settings.consumer
        let report: StatusReport
        do {
            report = try await StatusReport.gather(
                queue: runtime.pipeline.queue(consumer.queueName),
                poisonQueue: runtime.pipeline.queue(consumer.poisonQueueName),
                store: store,
                recentFailures: self.failures
            )
        } catch {
            runtime.logger.error("cannot read the status", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        print(self.output.json ? try report.json() : report.text())
    }
}
