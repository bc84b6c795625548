import BlobEvents
import Foundation
import Processing

extension ContainerProcessor {
    /// The engine's `run` command for this job: the container named and labelled, isolated as
    /// configured, the staging folders and extra mounts bound, the job's variables passed by
    /// name, then the image and the filled-in command. A configuration that cannot run is a
    /// permanent `app-not-startable`; an engine that cannot be found, a retryable `engine-failed`.
    func launch(
        for job: ProcessingJob,
        input: StagingSteps.StagedInput,
        layout: WorkLayout
    ) throws(ProcessingFailure) -> ContainerLaunch {
        let configuration = self.configuration
        if let problem = configuration.runProblems.first {
            throw ProcessingFailure(
                .permanent,
                reason: "app-not-startable",
                message: "the container cannot be configured: \(problem)"
            )
        }
        for folder in [layout.inputDirectory, layout.outputDirectory] {
            if let problem = BindMount.problem(with: folder) {
                throw ProcessingFailure(
                    .permanent,
                    reason: "app-not-startable",
                    message: "the staging folder '\(folder)' cannot be mounted: it \(problem)"
                )
            }
        }

        let inputPath = Self.inputDirectory + "/" + input.fileName
        let environment = ContainerEnvironment(
            inherited: configuration.inheritedEnvironment ?? ProcessInfo.processInfo.environment,
            passing: configuration.passEnvironment,
            job: AppEnvironment.job(
                job,
                inputPath: inputPath,
                outputDirectory: Self.outputDirectory,
                blobEndpoint: configuration.blobEndpoint
            )
        )
        let executable: String
        do {
            executable = try ProgramLocator.locate(
                configuration.engine,
                searchPath: environment.engine["PATH"] ?? AppEnvironment.defaultSearchPath,
                currentDirectory: FileManager.default.currentDirectoryPath
            )
        } catch {
            throw ProcessingFailure(
                .retryable,
                reason: "engine-failed",
                message: "cannot find the container engine: \(error)"
            )
        }

        let identity = ContainerIdentity(job: job)
        var arguments = [configuration.engine, "run", "--rm"] + identity.options
        arguments.append("--stop-timeout=\(ContainerLaunch.wholeSeconds(configuration.killGracePeriod))")
        arguments.append("--network=\(configuration.network ?? "none")")
        if let cpus = configuration.cpus { arguments.append("--cpus=\(cpus)") }
        if let memory = configuration.memory { arguments.append("--memory=\(memory)") }
        if let user = configuration.user { arguments.append("--user=\(user)") }
        arguments.append(
            BindMount(source: layout.inputDirectory, destination: Self.inputDirectory, readOnly: true).option
        )
        arguments.append(
            BindMount(source: layout.outputDirectory, destination: Self.outputDirectory, readOnly: false).option
        )
        arguments += configuration.mounts.map {
            BindMount(source: $0.host, destination: $0.container, readOnly: true).option
        }
        arguments += environment.options
        if Self.isPodman(executable) {
            // Podman copies the host's proxy variables into containers by default; only the
            // variables blobflow passes should get there.
            arguments.append("--http-proxy=false")
        }
        arguments += configuration.runOptions
        arguments.append(configuration.image)
        let template = ArgumentTemplate(values: [
            "input": inputPath,
            "output": Self.outputDirectory,
            "name": OutputNaming.relativeName(of: job.item.blobName, inputPrefix: configuration.inputPrefix),
            "stem": SafeFileName.stem(of: input.fileName),
        ])
        arguments += configuration.command.map(template.substitute)

        return ContainerLaunch(
            invocation: AppInvocation(
                executable: executable,
                arguments: arguments,
                environment: environment.engine,
                workingDirectory: layout.root,
                logFile: layout.logFile
            ),
            identity: identity,
            image: configuration.image,
            inputFile: input.path,
            killGracePeriod: configuration.killGracePeriod
        )
    }

    /// Whether the engine at `path` is podman (by its name), whose `run` takes podman's own options.
    static func isPodman(_ path: String) -> Bool {
        (path.split(separator: "/").last ?? "").hasPrefix("podman")
    }
}
