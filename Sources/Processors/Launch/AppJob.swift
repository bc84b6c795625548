import Logging
import Processing

/// The job every app processor does: stage the event's blob, run the app on it unless an earlier
/// attempt's outputs are still in place, publish what it wrote; each step checkpointed
/// (`downloaded`, `processed`, `uploaded`). Processors differ only in the ``AppLauncher`` that
/// starts the app.
struct AppJob: Sendable {
    /// The processor's name, for the manifest.
    let processor: String
    /// How the event's blob is downloaded and the app's files uploaded.
    let engine: any TransferEngine
    /// How blobflow's own records of a run (the app's log, the manifest) are uploaded: two small
    /// files per event, for which starting an external tool (azcopy) would cost more than the
    /// upload itself.
    let recordEngine: any TransferEngine
    /// Where outputs go.
    let destination: StagingSteps.Destination
    /// Whether an app that exits 0 without writing any file fails.
    let requireOutputs: Bool
    /// How long a cancelled app has between SIGTERM and SIGKILL.
    let killGracePeriod: Duration

    /// Processes `job`, starting the app with what `launcher` makes of the staged input (called
    /// only when the app is to run).
    func process<Launcher: AppLauncher>(
        _ job: ProcessingJob,
        context: ProcessingContext,
        launcher makeLauncher: (StagingSteps.StagedInput, WorkLayout) throws(ProcessingFailure) -> Launcher
    ) async throws -> ProcessingResult {
        let layout = WorkLayout(root: job.workDirectory)
        let resumeFrom = job.resumeFrom
        let staging = StagingSteps(
            engine: self.engine,
            recordEngine: self.recordEngine,
            item: job.item,
            layout: layout,
            logger: context.logger
        )

        let input = try await staging.stageInput(resumeFrom: resumeFrom)
        if input.downloaded {
            await context.reached(.downloaded, input.seconds)
        }
        try Task.checkCancellation()

        let processSeconds: Double
        let run = AppRunStep(layout: layout, killGracePeriod: self.killGracePeriod, logger: context.logger)
        if !input.downloaded, run.finishedEarlier(resumeFrom: resumeFrom) {
            context.logger.info(
                "outputs kept from an earlier attempt; the app is not run again",
                metadata: ["step": "process", "seconds": "0.000"]
            )
            processSeconds = 0
        } else {
            let launcher = try makeLauncher(input, layout)
            try run.prepare()
            try launcher.prepareFolders(layout)
            processSeconds = try await run.run(launcher, attempt: job.attempt)
            await context.reached(.processed, processSeconds)
        }
        try Task.checkCancellation()

        let published = try await staging.publish(
            to: self.destination,
            requireOutputs: self.requireOutputs,
            summary: .init(
                processor: self.processor,
                attempt: job.attempt,
                exitCode: 0,
                downloadSeconds: input.seconds,
                processSeconds: processSeconds
            )
        )
        await context.reached(.uploaded, published.seconds)
        return ProcessingResult(outputs: published.outputs)
    }
}
