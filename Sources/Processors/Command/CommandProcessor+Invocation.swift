import BlobEvents
import Foundation
import Processing

extension CommandProcessor {
    /// The program, arguments and environment for this job: the argument template filled in, the
    /// environment built, the program found (or a permanent `app-not-startable`).
    func invocation(
        for job: ProcessingJob,
        input: StagingSteps.StagedInput,
        layout: WorkLayout
    ) throws(ProcessingFailure) -> AppInvocation {
        guard !self.configuration.command.isEmpty else {
            throw ProcessingFailure(.permanent, reason: "app-not-startable", message: "no command is configured")
        }
        let template = ArgumentTemplate(values: [
            "input": input.path,
            "output": layout.outputDirectory,
            "name": OutputNaming.relativeName(of: job.item.blobName, inputPrefix: self.configuration.inputPrefix),
            "stem": SafeFileName.stem(of: input.fileName),
        ])
        let arguments = self.configuration.command.map(template.substitute)
        let environment = AppEnvironment.build(
            inherited: self.configuration.inheritedEnvironment ?? ProcessInfo.processInfo.environment,
            inherit: self.configuration.inheritEnvironment,
            configured: self.configuration.environment,
            job: self.jobEnvironment(job, input: input, layout: layout)
        )
        let executable: String
        do {
            executable = try ProgramLocator.locate(
                arguments[0],
                searchPath: environment["PATH"] ?? AppEnvironment.defaultSearchPath,
                currentDirectory: FileManager.default.currentDirectoryPath
            )
        } catch {
            throw ProcessingFailure(.permanent, reason: "app-not-startable", message: "\(error)")
        }
        return AppInvocation(
            executable: executable,
            arguments: arguments,
            environment: environment,
            workingDirectory: layout.root,
            logFile: layout.logFile
        )
    }

    /// The `BLOBFLOW_*` variables describing the job.
    func jobEnvironment(_ job: ProcessingJob, input: StagingSteps.StagedInput, layout: WorkLayout) -> [String: String] {
        AppEnvironment.job(
            job,
            inputPath: input.path,
            outputDirectory: layout.outputDirectory,
            blobEndpoint: self.configuration.blobEndpoint
        )
    }
}
