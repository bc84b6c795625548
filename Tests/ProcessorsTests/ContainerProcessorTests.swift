import BlobEvents
import Foundation
import Glibc
import Logging
import Processing
import Processors
import StorageClient
import Testing

/// Podman as these tests use it: the real program, with the repository's containers.conf unless
/// CONTAINERS_CONF names another, and the test image built by scripts/build-test-image.sh.
enum Podman {
    /// The image every test runs.
    static let image = "localhost/blobflow-test-app:latest"
    /// The repository's root.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    /// The containers.conf podman runs with.
    static let containersConf =
        ProcessInfo.processInfo.environment["CONTAINERS_CONF"] ?? repository + "/scripts/podman/containers.conf"
    /// The environment podman (and the processor's engine) runs with.
    static let environment: [String: String] = {
        let own = ProcessInfo.processInfo.environment
        var environment = [
            "PATH": own["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "CONTAINERS_CONF": containersConf,
        ]
        for name in ["HOME", "XDG_RUNTIME_DIR", "TMPDIR"] { environment[name] = own[name] }
        return environment
    }()

    /// Why the tests cannot use podman.
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// Podman's path once it has been found, the image built and a container run; checked once.
    static let ready = Task<String, any Error> {
        guard let podman = ContainerProcessor.locateEngine(preferred: "podman", environment: environment) else {
            throw Unavailable(
                description:
                    "podman is not installed (PATH=\(environment["PATH"] ?? "")): the container processor's tests run the real podman. Run scripts/setup.sh (CI installs it)."
            )
        }
        let build = try await command(["/bin/bash", repository + "/scripts/build-test-image.sh"])
        guard build.status == 0 else {
            throw Unavailable(
                description: "scripts/build-test-image.sh failed with status \(build.status):\n\(build.output)"
            )
        }
        let probe = try await command([podman, "run", "--rm", "--network=none", image, "true"])
        guard probe.status == 0 else {
            throw Unavailable(
                description: """
                    podman cannot run a container here (status \(probe.status)) with CONTAINERS_CONF=\(containersConf):
                    \(probe.output)
                    See scripts/podman/containers.conf (runc, cgroupfs, ulimits) and run scripts/setup.sh.
                    """
            )
        }
        return podman
    }

    /// Runs `arguments` with podman's environment; returns its status and its output (stdout and stderr).
    static func command(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "podman-\(UUID().uuidString).out"
        )
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let handle = try FileHandle(forWritingTo: outputFile)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        let status = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<Int32, any Error>) in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return (status, (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "")
    }

    /// The names of the containers, running or not, labelled with `eventID`.
    static func containers(ofEvent eventID: String) async throws -> [String] {
        let podman = try await ready.value
        let listing = try await command([
            podman, "ps", "--all", "--filter", "label=blobflow.event-id=\(eventID)", "--format", "{{.Names}}",
        ])
        #expect(listing.status == 0, "podman ps failed: \(listing.output)")
        return listing.output.split(separator: "\n").map(String.init)
    }
}

extension ProcessorFixture {
    /// A configuration running `script` with the image's `sh` (`$0` is `app`, then `arguments`),
    /// through `engine`, outputs to the output container.
    func containerConfiguration(
        _ script: String,
        arguments: [String] = [],
        engine: String
    ) -> ContainerProcessor.Configuration {
        var configuration = ContainerProcessor.Configuration(
            engine: engine,
            image: Podman.image,
            command: ["sh", "-c", script, "app"] + arguments
        )
        configuration.outputContainer = Self.outputContainer
        configuration.killGracePeriod = .seconds(1)
        configuration.inheritedEnvironment = Podman.environment
        return configuration
    }

    /// Runs the container processor once on `item`.
    func run(
        _ processor: ContainerProcessor,
        _ item: BlobWorkItem,
        resumeFrom: ProcessingStep? = nil,
        attempt: Int = 1,
        steps: StepLog = StepLog()
    ) async throws -> ProcessingResult {
        let job = ProcessingJob(item: item, resumeFrom: resumeFrom, attempt: attempt, workDirectory: self.workDirectory)
        let context = ProcessingContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })) {
            step,
            _ in
            steps.record(step.rawValue)
        }
        return try await processor.process(job, context: context)
    }

    /// `VARIABLE=value` lines as a dictionary.
    func variables(_ text: String) -> [String: String] {
        var variables: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            variables[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return variables
    }
}

@Suite("Container processor with podman against the development server", .serialized, .timeLimit(.minutes(3)))
struct ContainerProcessorTests {
    @Test(
        "runs the app in a container, uploads nested outputs written as root with umask 077, then the log, then the manifest"
    )
    func success() async throws {
        let podman = try await Podman.ready.value
        try await ProcessorFixture.with { fixture in
            var configuration = fixture.containerConfiguration(
                """
                set -e
                umask 077
                mkdir -p /blobflow/output/sub/dir
                printf '{"ok":true}\\n' > /blobflow/output/a.json
                printf 'x,y\\n1,2\\n' > /blobflow/output/sub/dir/b.csv
                printf '%s\\n' "$1" "$2" "$3" "$4" "$BLOBFLOW_INPUT" "$BLOBFLOW_OUTPUT_DIR" "$(id -u)" > /blobflow/output/args.txt
                cat "$1" > "$2/copy.txt"
                if touch /blobflow/input/new 2>/dev/null; then echo writable; else echo read-only; fi > /blobflow/output/input-mode.txt
                echo "hello from the container"
                echo "a warning" >&2
                """,
                arguments: ["{input}", "{output}", "{name}", "{stem}"],
                engine: podman
            )
            configuration.inputPrefix = "incoming/"
            configuration.outputPrefix = "results/"
            let engine = fixture.engine()
            let processor = ContainerProcessor(configuration: configuration, transfer: engine)
            #expect(processor.name == "container")
            let item = try await fixture.upload("incoming/2025/report one.txt")
            let steps = StepLog()
            let result = try await fixture.run(processor, item, attempt: 2, steps: steps)

            let base = "results/2025/report one.txt"
            #expect(
                result.outputs.map(\.name) == [
                    "\(base)/a.json", "\(base)/args.txt", "\(base)/copy.txt", "\(base)/input-mode.txt",
                    "\(base)/sub/dir/b.csv",
                    "\(base)/_blobflow.log", "\(base)/_manifest.json",
                ]
            )
            #expect(engine.uploads.last == "\(base)/_manifest.json")
            #expect(engine.uploads.dropLast().last == "\(base)/_blobflow.log")
            #expect(steps.reached == ["downloaded", "processed", "uploaded"])

            #expect(try await fixture.outputText("\(base)/a.json") == "{\"ok\":true}\n")
            #expect(try await fixture.outputText("\(base)/sub/dir/b.csv") == "x,y\n1,2\n")
            #expect(try await fixture.outputText("\(base)/copy.txt") == "input bytes\n")
            #expect(try await fixture.outputText("\(base)/input-mode.txt") == "read-only\n")
            #expect(
                try await fixture.outputText("\(base)/args.txt") == """
                    /blobflow/input/report one.txt
                    /blobflow/output
                    2025/report one.txt
                    report one
                    /blobflow/input/report one.txt
                    /blobflow/output
                    0

                    """
            )
            let properties = try await fixture.output.blob("\(base)/sub/dir/b.csv").properties()
            #expect(properties.contentType == "text/csv")
            #expect(properties.metadata["blobflow_event_id"] == item.eventID)

            // Written by root inside the container with umask 077, and uploaded all the same.
            var info = stat()
            #expect(lstat(fixture.workDirectory + "/output/sub/dir/b.csv", &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)

            let log = try await fixture.outputText("\(base)/_blobflow.log")
            #expect(log.contains("hello from the container"))
            #expect(log.contains("a warning"))
            #expect(log.contains("starting container blobflow-"))
            let manifest = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(try await fixture.output.blob("\(base)/_manifest.json").downloadBytes())
                ) as? [String: Any]
            )
            #expect(manifest["processor"] as? String == "container")
            #expect(manifest["attempt"] as? Int == 2)
            #expect((manifest["outputs"] as? [Any])?.count == 5)

            #expect(try await Podman.containers(ofEvent: item.eventID).isEmpty, "--rm left the container behind")
        }
    }

    @Test("exit 65 is permanent (bad input)")
    func exit65() async throws {
        let podman = try await Podman.ready.value
        try await ProcessorFixture.with { fixture in
            let configuration = fixture.containerConfiguration("echo 'cannot parse the input'; exit 65", engine: podman)
            let engine = fixture.engine()
            let processor = ContainerProcessor(configuration: configuration, transfer: engine)
            let item = try await fixture.upload("bad.txt")
            let failure = try #require(await fixture.failure { try await fixture.run(processor, item) })
            #expect(failure.kind == .permanent)
            #expect(failure.reason == "app-exit-65")
            #expect(failure.message.contains("cannot parse the input"))
            #expect(engine.uploads.isEmpty)
        }
    }

    @Test("exit 75 is retryable (temporary failure)")
    func exit75() async throws {
        let podman = try await Podman.ready.value
        try await ProcessorFixture.with { fixture in
            let processor = ContainerProcessor(
                configuration: fixture.containerConfiguration("exit 75", engine: podman),
                transfer: fixture.engine()
            )
            let item = try await fixture.upload("later.txt")
            let failure = try #require(await fixture.failure { try await fixture.run(processor, item) })
            #expect(failure.kind == .retryable)
            #expect(failure.reason == "app-exit-75")
        }
    }

    @Test(
        "the engine's own statuses: 127 and 126 cannot start the app (permanent), 125 is the engine failing (retryable)"
    )
    func engineStatuses() async throws {
        let podman = try await Podman.ready.value
        try await ProcessorFixture.with { fixture in
            let item = try await fixture.upload("engine.txt")
            var configuration = fixture.containerConfiguration("unused", engine: podman)

            configuration.command = ["/no/such/program", "{input}"]
            var failure = try #require(
                await fixture.failure {
                    try await fixture.run(
                        ContainerProcessor(configuration: configuration, transfer: fixture.engine()),
                        item
                    )
                }
            )
            #expect(failure.kind == .permanent)
            #expect(failure.reason == "app-not-startable")
            #expect(failure.message.contains("status 127"))

            configuration.command = ["/etc/passwd"]
            failure = try #require(
                await fixture.failure {
                    try await fixture.run(
                        ContainerProcessor(configuration: configuration, transfer: fixture.engine()),
                        item
                    )
                }
            )
            #expect(failure.kind == .permanent)
            #expect(failure.reason == "app-not-startable")
            #expect(failure.message.contains("status 126"))

            configuration.command = []
            configuration.image = "localhost/blobflow-no-such-image:latest"
            configuration.runOptions = ["--pull=never"]
            failure = try #require(
                await fixture.failure {
                    try await fixture.run(
                        ContainerProcessor(configuration: configuration, transfer: fixture.engine()),
                        item
                    )
                }
            )
            #expect(failure.kind == .retryable)
            #expect(failure.reason == "engine-failed")
            #expect(
                failure.message.contains("blobflow-no-such-image"),
                "the engine's error is in the message: \(failure.message)"
            )

            configuration.engine = fixture.folder + "/no-such-engine"
            failure = try #require(
                await fixture.failure {
                    try await fixture.run(
                        ContainerProcessor(configuration: configuration, transfer: fixture.engine()),
                        item
                    )
                }
            )
            #expect(failure.kind == .retryable)
            #expect(failure.reason == "engine-failed")
        }
    }

    @Test("cancellation stops and removes the container through the engine", arguments: [false, true])
    func cancellation(appStopsOnSIGTERM: Bool) async throws {
        let podman = try await Podman.ready.value
        try await ProcessorFixture.with { fixture in
            // As PID 1 the shell ignores SIGTERM unless it traps it: then only the engine's SIGKILL
            // after the grace period ends it.
            let configuration = fixture.containerConfiguration(
                """
                \(appStopsOnSIGTERM ? "trap 'exit 143' TERM" : "")
                echo started > /blobflow/output/started
                sleep 600 &
                wait
                """,
                engine: podman
            )
            let processor = ContainerProcessor(configuration: configuration, transfer: fixture.engine())
            let item = try await fixture.upload("slow.txt")
            let task = Task { try await fixture.run(processor, item) }
            let started = fixture.workDirectory + "/output/started"
            let startDeadline = ContinuousClock.now + .seconds(90)
            while !FileManager.default.fileExists(atPath: started), ContinuousClock.now < startDeadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(FileManager.default.fileExists(atPath: started), "the container did not start")
            #expect(try await Podman.containers(ofEvent: item.eventID).count == 1)

            let cancelledAt = ContinuousClock.now
            task.cancel()
            let outcome = await task.result
            let elapsed = ContinuousClock.now - cancelledAt
            #expect(throws: CancellationError.self) { try outcome.get() }
            #expect(elapsed < .seconds(180), "stopping took \(elapsed)")  // generous: only a hang should fail it
            if !appStopsOnSIGTERM { #expect(elapsed >= .milliseconds(900), "the grace period was not given") }
            #expect(
                try await Podman.containers(ofEvent: item.eventID).isEmpty,
                "the container outlived the cancelled job"
            )

            let log = try #require(fixture.localText(fixture.workDirectory + "/app.log"))
            #expect(log.contains(" stop -t 1 blobflow-"))
            #expect(log.contains(" rm -f blobflow-"))
            #expect(log.contains("cancelled"))
        }
    }

    @Test(
        "cancellation right after the engine was started, before the container may exist, leaves no container",
        arguments: [0, 10, 25]
    )
    func earlyCancellation(delayMilliseconds: Int) async throws {
        let podman = try await Podman.ready.value
        try await ProcessorFixture.with { fixture in
            let processor = ContainerProcessor(
                configuration: fixture.containerConfiguration("sleep 600", engine: podman),
                transfer: fixture.engine()
            )
            let item = try await fixture.upload("early.txt")
            let task = Task { try await fixture.run(processor, item) }
            // app.log is created just before the engine's client is spawned.
            let startDeadline = ContinuousClock.now + .seconds(90)
            while !FileManager.default.fileExists(atPath: fixture.workDirectory + "/app.log"),
                ContinuousClock.now < startDeadline
            {
                try await Task.sleep(for: .milliseconds(2))
            }
            try await Task.sleep(for: .milliseconds(delayMilliseconds))
            let cancelledAt = ContinuousClock.now
            task.cancel()
            let outcome = await task.result
            let elapsed = ContinuousClock.now - cancelledAt
            #expect(throws: CancellationError.self) { try outcome.get() }
            #expect(elapsed < .seconds(180), "stopping took \(elapsed)")  // generous: only a hang should fail it
            #expect(
                try await Podman.containers(ofEvent: item.eventID).isEmpty,
                "the container outlived the cancelled job"
            )
        }
    }

    @Test(
        "a symbolic link written in the container refuses the whole output",
        arguments: ["ln -s /etc/passwd /blobflow/output/leak", "ln -s / /blobflow/output/ok/deeper/root"]
    )
    func symbolicLink(command: String) async throws {
        let podman = try await Podman.ready.value
        try await ProcessorFixture.with { fixture in
            let configuration = fixture.containerConfiguration(
                """
                set -e
                mkdir -p /blobflow/output/ok/deeper
                printf x > /blobflow/output/ok/file.txt
                \(command)
                """,
                engine: podman
            )
            let engine = fixture.engine()
            let processor = ContainerProcessor(configuration: configuration, transfer: engine)
            let item = try await fixture.upload("links.txt")
            let failure = try #require(await fixture.failure { try await fixture.run(processor, item) })
            #expect(failure.kind == .permanent)
            #expect(failure.reason == "unsafe-output")
            #expect(failure.message.contains("a symbolic link"))
            #expect(engine.uploads.isEmpty)
        }
    }

    @Test("no network by default; a configured network is joined")
    func network() async throws {
        let podman = try await Podman.ready.value
        try await ProcessorFixture.with { fixture in
            var configuration = fixture.containerConfiguration(
                "ls /sys/class/net > /blobflow/output/interfaces.txt",
                engine: podman
            )
            let item = try await fixture.upload("net.txt")
            _ = try await fixture.run(
                ContainerProcessor(configuration: configuration, transfer: fixture.engine()),
                item
            )
            #expect(try await fixture.outputText("net.txt/interfaces.txt") == "lo\n")

            configuration.network = "podman"
            _ = try await fixture.run(
                ContainerProcessor(configuration: configuration, transfer: fixture.engine()),
                item
            )
            let interfaces = try await fixture.outputText("net.txt/interfaces.txt").split(separator: "\n")
            #expect(interfaces.contains("lo"))
            #expect(interfaces.count >= 2, "no interface besides lo on the 'podman' network: \(interfaces)")
        }
    }

    @Test("only named variables reach the container, by name; credentials never, not even when named")
    func environment() async throws {
        let podman = try await Podman.ready.value
        try await ProcessorFixture.with { fixture in
            // A podman that records how it was started (its name starts with `podman`, as the
            // processor's podman detection expects).
            let recorder = try fixture.script(
                "podman-recording",
                """
                printf '%s\\n' "$@" > '\(fixture.folder)/argv.txt'
                env > '\(fixture.folder)/engine-env.txt'
                exec '\(podman)' "$@"
                """
            )
            var configuration = fixture.containerConfiguration("env > /blobflow/output/env.txt", engine: recorder)
            configuration.inheritedEnvironment = Podman.environment.merging([
                "APP_MODE": "mode-value-1", "MY_DB_PASSWORD": "chosen-value-2", "UNNAMED_SETTING": "unnamed-value-3",
                "AZURE_STORAGE_KEY": "secret-1", "AZURE_STORAGE_CONNECTION_STRING": "secret-2",
                "AZURE_STORAGE_SAS_TOKEN": "secret-3",
                "IDENTITY_HEADER": "secret-4", "AZURE_CLIENT_SECRET": "secret-5", "GITHUB_TOKEN": "secret-6",
                "http_proxy": "http://user:secret-7@proxy.example:3128",
                "HTTPS_PROXY": "http://user:secret-8@proxy.example:3128",
            ]) { _, new in new }
            configuration.passEnvironment = [
                "APP_MODE", "MY_DB_PASSWORD", "AZURE_STORAGE_KEY", "NOT_SET_ANYWHERE", "APP*",
            ]
            configuration.blobEndpoint = fixture.blobEndpoint + "/?sv=2025-05-05&sig=secret-sig"
            let processor = ContainerProcessor(configuration: configuration, transfer: fixture.engine())
            let item = try await fixture.upload("dir/env check.txt")
            _ = try await fixture.run(processor, item)

            let text = try await fixture.outputText("dir/env check.txt/env.txt")
            let variables = fixture.variables(text)
            #expect(!text.contains("secret"), "a credential reached the container:\n\(text)")
            #expect(variables["APP_MODE"] == "mode-value-1")
            #expect(variables["MY_DB_PASSWORD"] == "chosen-value-2")
            #expect(variables["UNNAMED_SETTING"] == nil)
            #expect(variables["NOT_SET_ANYWHERE"] == nil)
            #expect(variables["CONTAINERS_CONF"] == nil)
            #expect(variables["HOME"] == "/root")
            #expect(variables["BLOBFLOW_INPUT"] == "/blobflow/input/env check.txt")
            #expect(variables["BLOBFLOW_OUTPUT_DIR"] == "/blobflow/output")
            #expect(variables["BLOBFLOW_BLOB_NAME"] == "dir/env check.txt")
            #expect(variables["BLOBFLOW_CONTAINER"] == "input")
            #expect(variables["BLOBFLOW_BLOB_URL"] == fixture.blobEndpoint + "/input/dir/env%20check.txt")
            #expect(variables["BLOBFLOW_EVENT_ID"] == item.eventID)
            #expect(variables["BLOBFLOW_CONTENT_TYPE"] == "text/plain")
            #expect(variables["BLOBFLOW_ATTEMPT"] == "1")

            let argv = try #require(fixture.localText(fixture.folder + "/argv.txt"))
            let arguments = argv.split(separator: "\n").map(String.init)
            for value in ["mode-value-1", "chosen-value-2", "unnamed-value-3", "secret", "env check"] {
                #expect(!argv.contains(value), "'\(value)' is in the engine's arguments")
            }
            #expect(arguments.contains("--env=APP_MODE"))
            #expect(arguments.contains("--env=BLOBFLOW_INPUT"))
            #expect(!arguments.contains { $0.hasPrefix("--env=AZURE") || $0.contains("*") })
            #expect(arguments.contains("--network=none"))
            #expect(arguments.contains("--stop-timeout=1"))
            #expect(arguments.contains("--rm"))
            #expect(arguments.contains("--http-proxy=false"))
            #expect(arguments.contains("--label=blobflow.event-id=\(item.eventID)"))
            #expect(arguments.contains { $0.wholeMatch(of: /--name=blobflow-[0-9a-f]{12}-1-[0-9a-f]{8}/) != nil })

            let engineEnvironment = try #require(fixture.localText(fixture.folder + "/engine-env.txt"))
            #expect(!engineEnvironment.contains("secret-1"), "the engine itself was given a storage credential")
            #expect(!engineEnvironment.contains("secret-6"))
        }
    }

    @Test("extra read-only mounts, limits and another user")
    func mountsLimitsAndUser() async throws {
        let podman = try await Podman.ready.value
        try await ProcessorFixture.with { fixture in
            let config = fixture.folder + "/app-config"
            try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
            try "setting=1\n".write(toFile: config + "/app.conf", atomically: true, encoding: .utf8)
            var configuration = fixture.containerConfiguration(
                """
                set -e
                out=/blobflow/output
                cat /etc/app/app.conf > $out/conf.txt
                if touch /etc/app/new 2>/dev/null; then echo writable; else echo read-only; fi > $out/mount-mode.txt
                id -u > $out/uid.txt
                cat "$BLOBFLOW_INPUT" > $out/copy.txt
                mkdir -p $out/nested
                cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null > $out/nested/memory.txt || true
                """,
                engine: podman
            )
            configuration.mounts = [.init(host: config, container: "/etc/app")]
            configuration.cpus = "0.5"
            configuration.memory = "64m"
            configuration.user = "1000:1000"
            #expect(configuration.problems.isEmpty)
            let processor = ContainerProcessor(configuration: configuration, transfer: fixture.engine())
            let item = try await fixture.upload("mounts.txt")
            _ = try await fixture.run(processor, item)
            #expect(try await fixture.outputText("mounts.txt/conf.txt") == "setting=1\n")
            #expect(try await fixture.outputText("mounts.txt/mount-mode.txt") == "read-only\n")
            #expect(try await fixture.outputText("mounts.txt/uid.txt") == "1000\n")
            #expect(try await fixture.outputText("mounts.txt/copy.txt") == "input bytes\n")
            #expect(
                try await fixture.outputText("mounts.txt/nested/memory.txt").trimmingCharacters(
                    in: .whitespacesAndNewlines
                ) == "67108864"
            )
            #expect(!FileManager.default.fileExists(atPath: config + "/new"))
        }
    }

    @Test("configuration problems are listed, and a job that cannot be configured fails permanently")
    func problems() async throws {
        var configuration = ContainerProcessor.Configuration(engine: "", image: "")
        #expect(configuration.problems.count == 2)
        configuration = ContainerProcessor.Configuration(engine: "podman", image: "--privileged")
        configuration.mounts = [
            .init(host: "relative/path", container: "/etc/app"), .init(host: "/a,b", container: "/etc/b"),
            .init(host: "/srv/c", container: "/blobflow/input/x"),
        ]
        configuration.passEnvironment = ["AZURE_STORAGE_KEY", "APP*", "FINE_NAME"]
        configuration.network = ""
        let problems = configuration.problems
        #expect(problems.count == 7, "\(problems)")
        #expect(problems.contains { $0.contains("'--privileged' is not an image name") })
        #expect(problems.contains { $0.contains("AZURE_STORAGE_KEY") })
        #expect(problems.contains { $0.contains("inside /blobflow") })
        #expect(!problems.contains { $0.contains("FINE_NAME") })

        let misconfigured = configuration
        try await ProcessorFixture.with { fixture in
            let processor = ContainerProcessor(configuration: misconfigured, transfer: fixture.engine())
            let item = try await fixture.upload("misconfigured.txt")
            let failure = try #require(await fixture.failure { try await fixture.run(processor, item) })
            #expect(failure.kind == .permanent)
            #expect(failure.reason == "app-not-startable")
        }
    }

    @Test("the engine: the preferred one, else podman, else docker")
    func locateEngine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("engines-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (directory, names) in [("both", ["podman", "docker"]), ("docker-only", ["docker"]), ("none", [])] {
            try FileManager.default.createDirectory(atPath: "\(folder)/\(directory)", withIntermediateDirectories: true)
            for name in names {
                _ = FileManager.default.createFile(
                    atPath: "\(folder)/\(directory)/\(name)",
                    contents: Data("#!/bin/sh\n".utf8),
                    attributes: [.posixPermissions: 0o755]
                )
            }
        }
        func locate(_ preferred: String?, _ directory: String) -> String? {
            ContainerProcessor.locateEngine(preferred: preferred, environment: ["PATH": "\(folder)/\(directory)"])
        }
        #expect(locate(nil, "both") == "\(folder)/both/podman")
        #expect(locate("", "both") == "\(folder)/both/podman")
        #expect(locate(nil, "docker-only") == "\(folder)/docker-only/docker")
        #expect(locate(nil, "none") == nil)
        #expect(locate("docker", "both") == "\(folder)/both/docker")
        #expect(locate("\(folder)/docker-only/docker", "none") == "\(folder)/docker-only/docker")
        #expect(locate("nerdctl", "both") == nil)
    }
}
