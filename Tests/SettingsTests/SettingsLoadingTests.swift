import Consumer
import Foundation
import Logging
import Settings
import StorageClient
import Testing

@Suite("Configuration: layers, validation, credentials")
struct SettingsLoadingTests {
    static let key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

    func load(
        _ environment: [String: String],
        flags: [String: String] = [:],
        file: String? = nil
    ) throws -> BlobflowSettings {
        let parsed = try file.map { try EnvironmentFile(parsing: $0, path: ".env") }
        return try BlobflowSettings.load(SettingsValues(flags: flags, processEnvironment: environment, file: parsed))
    }

    func problems(_ environment: [String: String], flags: [String: String] = [:]) -> [String] {
        do {
            _ = try self.load(environment, flags: flags)
            return []
        } catch let error as SettingsError {
            return error.problems
        } catch {
            return ["unexpected \(error)"]
        }
    }

    @Test("defaults match the documented ones")
    func defaults() throws {
        let settings = try self.load(["AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"])
        let consumer = settings.consumer
        #expect(consumer.queueName == "blobflow-events")
        #expect(consumer.poisonQueueName == "blobflow-events-poison")
        #expect(consumer.inputContainer == "input")
        #expect(consumer.outputContainer == "output")
        #expect(consumer.checkpointDirectory == "/mnt/azurefiles/blobflow")
        #expect(consumer.workDirectory == "/mnt/azurefiles/blobflow/work")
        #expect(consumer.maxDequeueCount == 5)
        #expect(consumer.batchSize == 16)
        #expect(consumer.concurrency == 4)
        #expect(consumer.visibilityTimeout == 300)
        #expect(consumer.minPollInterval == .milliseconds(100))
        #expect(consumer.maxPollInterval == .seconds(30))
        #expect(consumer.exitWhenIdle == nil)
        #expect(settings.processor == .noop)
        #expect(settings.logFormat == .json)
        #expect(settings.logLevel == .info)
        #expect(settings.storage.accountName == "devstoreaccount1")
    }

    @Test("flags win over the environment, which wins over the .env file")
    func layering() throws {
        let file = """
            # comment
            export BLOBFLOW_QUEUE=from-file
            BLOBFLOW_INPUT_CONTAINER="file-input"   # trailing comment
            BLOBFLOW_OUTPUT_CONTAINER='file-output'
            BLOBFLOW_CONCURRENCY=7
            AZURE_STORAGE_CONNECTION_STRING=UseDevelopmentStorage=true
            """
        let settings = try self.load(
            ["BLOBFLOW_QUEUE": "from-env", "BLOBFLOW_INPUT_CONTAINER": "env-input"],
            flags: ["BLOBFLOW_QUEUE": "from-flag"],
            file: file
        )
        #expect(settings.consumer.queueName == "from-flag")
        #expect(settings.consumer.poisonQueueName == "from-flag-poison")
        #expect(settings.consumer.inputContainer == "env-input")
        #expect(settings.consumer.outputContainer == "file-output")
        #expect(settings.consumer.concurrency == 7)
        #expect(settings.environment["BLOBFLOW_QUEUE"] == "from-flag")
    }

    @Test("every problem is reported at once, one message each")
    func allProblems() {
        let found = self.problems([
            "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
            "BLOBFLOW_QUEUE": "Bad_Queue",
            "BLOBFLOW_CONCURRENCY": "zero",
            "BLOBFLOW_BATCH_SIZE": "64",
            "BLOBFLOW_MIN_POLL_INTERVAL": "10s",
            "BLOBFLOW_MAX_POLL_INTERVAL": "1s",
            "BLOBFLOW_LOG_FORMAT": "xml",
            "BLOBFLOW_PROCESSOR": "magic",
            "BLOBFLOW_PROCESS_TIMEOUT": "soon",
        ])
        #expect(found.count == 7, "\(found)")
        #expect(found.contains { $0.hasPrefix("BLOBFLOW_QUEUE:") && $0.contains("lower-case") })
        #expect(found.contains { $0.hasPrefix("BLOBFLOW_CONCURRENCY:") })
        #expect(found.contains { $0.hasPrefix("BLOBFLOW_BATCH_SIZE:") && $0.contains("1 to 32") })
        #expect(found.contains { $0.contains("BLOBFLOW_MIN_POLL_INTERVAL") && $0.contains("longer than") })
        #expect(found.contains { $0.hasPrefix("BLOBFLOW_LOG_FORMAT:") })
        #expect(found.contains { $0.hasPrefix("BLOBFLOW_PROCESSOR:") && $0.contains("noop") })
        #expect(found.contains { $0.hasPrefix("BLOBFLOW_PROCESS_TIMEOUT:") })
    }

    @Test("outputs landing where input events are raised are refused")
    func feedbackLoop() {
        let base = ["AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"]
        let same = base.merging(["BLOBFLOW_OUTPUT_CONTAINER": "input"]) { $1 }
        #expect(self.problems(same).contains { $0.contains("forever") })
        let nested = same.merging(["BLOBFLOW_INPUT_PREFIX": "in/", "BLOBFLOW_OUTPUT_PREFIX": "in/results/"]) { $1 }
        #expect(self.problems(nested).contains { $0.contains("forever") })
        let disjoint = same.merging(["BLOBFLOW_INPUT_PREFIX": "in/", "BLOBFLOW_OUTPUT_PREFIX": "out/"]) { $1 }
        #expect(self.problems(disjoint).isEmpty)
    }

    @Test("credentials: exactly one way to sign in, never echoing a secret")
    func credentials() throws {
        #expect(self.problems([:]).contains { $0.hasPrefix("no storage account") })
        let both = self.problems([
            "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true", "AZURE_STORAGE_ACCOUNT": "acct",
        ])
        #expect(both.contains { $0.contains("one or the other") })
        let badKey = self.problems(["AZURE_STORAGE_ACCOUNT": "acct1", "AZURE_STORAGE_KEY": "not base64 secret!"])
        #expect(badKey.contains { $0.contains("not a base64 account key") })
        #expect(!badKey.joined().contains("not base64 secret!"))
        let noSig = self.problems(["AZURE_STORAGE_ACCOUNT": "acct1", "AZURE_STORAGE_SAS_TOKEN": "sv=2025-05-05&sp=r"])
        #expect(noSig.contains { $0.contains("sig=") })

        let keyed = try self.load(["AZURE_STORAGE_ACCOUNT": "acct1", "AZURE_STORAGE_KEY": Self.key])
        #expect(keyed.storage.credentialKind == "shared key")
        #expect(keyed.storage.blobEndpoint == "https://acct1.blob.core.windows.net")
        let sas = try self.load([
            "AZURE_STORAGE_ACCOUNT": "acct1", "AZURE_STORAGE_SAS_TOKEN": "?sv=2025-05-05&sig=abc",
            "AZURE_STORAGE_BLOB_ENDPOINT": "http://127.0.0.1:10000/acct1/",
        ])
        #expect(sas.storage.credentialKind == "SAS")
        #expect(sas.storage.blobEndpoint == "http://127.0.0.1:10000/acct1")
        let identity = try self.load(["AZURE_STORAGE_ACCOUNT": "acct1"])
        #expect(identity.storage.credentialKind == "managed identity")
        let badName = self.problems(["AZURE_STORAGE_ACCOUNT": "Not-An-Account"])
        #expect(badName.contains { $0.contains("not a storage account name") })
    }

    @Test("the command processor needs a command, split like a shell would without running one")
    func command() throws {
        let base = ["AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true", "BLOBFLOW_PROCESSOR": "command"]
        #expect(self.problems(base).contains { $0.contains("needs BLOBFLOW_COMMAND") })
        let settings = try self.load(
            base.merging(["BLOBFLOW_COMMAND": #"python3 'my app.py' --in {input} --title "a \"b\"" c\ d"#]) { $1 }
        )
        #expect(settings.command == ["python3", "my app.py", "--in", "{input}", "--title", #"a "b""#, "c d"])
        #expect(
            self.problems(base.merging(["BLOBFLOW_COMMAND": "run 'unclosed"]) { $1 }).contains {
                $0.contains("unclosed")
            }
        )
    }

    @Test("durations accept seconds, units and milliseconds")
    func durations() throws {
        let settings = try self.load([
            "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true", "BLOBFLOW_MAX_POLL_INTERVAL": "2m",
            "BLOBFLOW_MIN_POLL_INTERVAL": "250ms", "BLOBFLOW_PROCESS_TIMEOUT": "90", "BLOBFLOW_EXIT_WHEN_IDLE": "1.5s",
            "BLOBFLOW_CHECKPOINT_RETENTION": "2d",
        ])
        #expect(settings.consumer.maxPollInterval == .seconds(120))
        #expect(settings.consumer.minPollInterval == .milliseconds(250))
        #expect(settings.consumer.processTimeout == .seconds(90))
        #expect(settings.consumer.exitWhenIdle == .milliseconds(1500))
        #expect(settings.consumer.checkpointRetention == .seconds(2 * 86_400))
    }

    @Test("an unknown BLOBFLOW_ variable is a warning naming the likely intended one")
    func unknownVariable() throws {
        let settings = try self.load([
            "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true", "BLOBFLOW_CONCURENCY": "8",
        ])
        #expect(
            settings.warnings.contains { $0.contains("BLOBFLOW_CONCURENCY") && $0.contains("BLOBFLOW_CONCURRENCY") }
        )
    }

    @Test("a malformed .env file names each bad line and never its value")
    func malformedFile() {
        let text = "GOOD=1\nthis line is wrong\nSECRET=\"unclosed value\n9BAD=x\n"
        do {
            _ = try EnvironmentFile(parsing: text, path: "/tmp/x.env")
            Issue.record("expected an error")
        } catch {
            #expect(error.problems.count == 3, "\(error.problems)")
            #expect(error.problems.contains { $0.hasPrefix("/tmp/x.env:2:") })
            #expect(error.problems.contains { $0.hasPrefix("/tmp/x.env:3: SECRET:") })
            #expect(!error.description.contains("unclosed value"))
        }
    }

    @Test("transfer and container settings: engines are looked up at start, problems named")
    func processing() throws {
        let base = ["AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true", "PATH": "/nonexistent"]
        let native = try self.load(
            base.merging(["BLOBFLOW_PROCESSOR": "command", "BLOBFLOW_COMMAND": "/bin/true"]) { $1 }
        )
        #expect(native.processing.transfer == .native, "no azcopy on PATH: the native engine")
        let found = self.problems(
            base.merging([
                "BLOBFLOW_PROCESSOR": "container", "BLOBFLOW_TRANSFER": "fast",
                "BLOBFLOW_AZCOPY": "/nonexistent/azcopy",
                "BLOBFLOW_CONTAINER_MOUNTS": "relative:/x", "BLOBFLOW_BLOCK_SIZE_MIB": "0",
            ]) { $1 }
        )
        #expect(found.contains { $0.hasPrefix("BLOBFLOW_TRANSFER:") })
        #expect(found.contains { $0.hasPrefix("BLOBFLOW_AZCOPY:") })
        #expect(found.contains { $0.contains("needs BLOBFLOW_IMAGE") })
        #expect(found.contains { $0.contains("needs docker or podman") })
        #expect(found.contains { $0.hasPrefix("BLOBFLOW_CONTAINER_MOUNTS:") })
        #expect(found.contains { $0.hasPrefix("BLOBFLOW_BLOCK_SIZE_MIB:") })
        let container = try self.load([
            "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true", "BLOBFLOW_PROCESSOR": "container",
            "BLOBFLOW_IMAGE": "localhost/app", "BLOBFLOW_CONTAINER_ENGINE": "/bin/sh",
            "BLOBFLOW_CONTAINER_NETWORK": "none",
            "BLOBFLOW_CONTAINER_MOUNTS": "/etc/app:/config, /data:/data", "BLOBFLOW_CONTAINER_ENV": "A, B",
        ])
        #expect(container.processing.containerEngine == "/bin/sh")
        #expect(container.processing.containerNetwork == nil)
        #expect(container.processing.containerMounts.map(\.container) == ["/config", "/data"])
        #expect(container.processing.containerEnvironment == ["A", "B"])
    }
}
