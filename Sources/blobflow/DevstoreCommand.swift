import ArgumentParser
import DevStorage
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `blobflow devstore`: the development storage server on its own.
struct DevstoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devstore",
        abstract: "Run the development storage server: Azure Blob and Queue REST with Event Grid emulation.",
        discussion: """
            Serves the development account devstoreaccount1 (Azurite's well-known account and key) on \
            path-style URLs, http://HOST:PORT/ACCOUNT/... More accounts: BLOBFLOW_DEVSTORE_ACCOUNTS="name:base64key;...". \
            By default blobs committed in container 'input' raise Microsoft.Storage.BlobCreated events on queue \
            'blobflow-events' (EventGridSchema, base64), as an Event Grid subscription would.
            """
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Blob service port (0 picks a free port).")
    var blobPort = 10000

    @Option(help: "Queue service port (0 picks a free port).")
    var queuePort = 10001

    @Option(help: "Folder holding the server's data; it survives restarts.")
    var location = ".blobflow/devstore"

    @Option(
        name: .customLong("subscription"),
        help: ArgumentHelp(
            "An Event Grid subscription to emulate (repeatable).",
            discussion:
                "container=NAME,queue=NAME[,prefix=P][,suffix=S][,schema=EventGridSchema|CloudEventSchemaV1_0][,encoding=base64|text][,ttl=-1][,account=NAME]",
            valueName: "spec"
        )
    )
    var subscriptions: [String] = []

    @Option(
        help: ArgumentHelp(
            "A JSON file with an array of subscriptions (keys as in --subscription, ttl as messageTTL).",
            valueName: "file"
        )
    )
    var subscriptionsFile: String?

    @Flag(help: "Do not add the default subscription (input -> blobflow-events).")
    var noDefaultSubscription = false

    @Option(
        help: ArgumentHelp(
            "Inject faults for testing clients (also BLOBFLOW_DEVSTORE_FAULTS).",
            discussion:
                "rate=0.2,kinds=500|503|hang|drop[,ops=GetMessages|PutBlob][,hang=SECONDS][,retry-after=SECONDS][,seed=N]",
            valueName: "spec"
        )
    )
    var faults: String?

    @Flag(
        help: ArgumentHelp(
            "Accept OAuth bearer tokens (Microsoft Entra JWTs) and user delegation SAS, like Azurite's --oauth basic.",
            discussion:
                "Development only: audience, lifetime and issuer are checked, the signature is not; tokens are accepted over plain http."
        )
    )
    var oauth = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    /// The root command's options: its `--log-level` takes the flag when it is given after
    /// `devstore` too, so the level is read from there as well.
    @ParentCommand var root: Blobflow

    func run() async throws {
        // Everything that can be checked is checked before the folder is locked or a port bound.
        let configuration = try self.makeConfiguration()
        var logger = Logger(label: "blobflow.devstore")
        logger.logLevel = Logger.Level(rawValue: self.root.options.logLevel ?? self.logLevel) ?? .info
        await SignalBackstop.install(command: "blobflow devstore", limit: .seconds(15))
        do {
            try ListenPortCheck.ensureFree(
                host: configuration.host,
                [
                    .init(port: configuration.blobPort, what: "blob service", flag: "--blob-port"),
                    .init(port: configuration.queuePort, what: "queue service", flag: "--queue-port"),
                ]
            )
        } catch {
            Self.fail("\(error)")
        }
        let subscriptions = configuration.subscriptions
        let location = configuration.location
        let oauth = configuration.acceptBearerTokens
        let server: DevStorageServer
        do {
            server = try DevStorageServer(configuration: configuration, logger: logger) { endpoints in
                var lines = [
                    "blobflow devstore is running",
                    "Blob endpoint: \(endpoints.blobEndpoint())",
                    "Queue endpoint: \(endpoints.queueEndpoint())",
                    "Connection string: \(endpoints.connectionString())",
                    "Data folder: \(location)",
                ]
                if oauth {
                    lines.append("OAuth: bearer tokens accepted (signatures not verified: development only)")
                }
                for subscription in subscriptions {
                    lines.append(
                        "Event Grid: \(subscription.account)/\(subscription.container)\(subscription.prefix.map { "/" + $0 + "*" } ?? "")"
                            + "\(subscription.suffix.map { " (*" + $0 + ")" } ?? "") -> queue \(subscription.queue)"
                            + " (\(subscription.schema.rawValue), \(subscription.encoding.rawValue))"
                    )
                }
                FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
            }
        } catch {
            Self.fail("\(error)")
        }
        let group = ServiceGroup(
            configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        do {
            try await group.run()
        } catch let error as DevStorageListenError {
            Self.fail("\(error)")
        }
    }

    /// Prints `blobflow devstore: MESSAGE` and exits 1.
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("blobflow devstore: \(message)\n".utf8))
        Foundation.exit(1)
    }

    func makeConfiguration() throws -> DevStorageConfiguration {
        var configuration = DevStorageConfiguration()
        configuration.host = self.host
        configuration.blobPort = self.blobPort
        configuration.queuePort = self.queuePort
        configuration.location = self.location
        configuration.acceptBearerTokens = self.oauth
        do {
            if let accounts = ProcessInfo.processInfo.environment["BLOBFLOW_DEVSTORE_ACCOUNTS"] {
                try configuration.addAccounts(from: accounts)
            }
            if !self.noDefaultSubscription {
                configuration.subscriptions.append(.default)
            }
            for text in self.subscriptions {
                configuration.subscriptions.append(try EventSubscription(parsing: text))
            }
            if let file = self.subscriptionsFile {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("cannot read subscriptions file '\(file)'")
                }
                do {
                    configuration.subscriptions += try JSONDecoder().decode([EventSubscription].self, from: data)
                } catch {
                    throw ValidationError("subscriptions file '\(file)' is not a JSON array of subscriptions: \(error)")
                }
            }
            if let faults = self.faults ?? ProcessInfo.processInfo.environment["BLOBFLOW_DEVSTORE_FAULTS"],
                !faults.isEmpty
            {
                configuration.faults = try FaultPlan(parsing: faults)
            }
        } catch let error as DevStorageConfigurationError {
            throw ValidationError(error.message)
        }
        guard (0...65535).contains(self.blobPort), (0...65535).contains(self.queuePort) else {
            throw ValidationError("ports must be between 0 and 65535")
        }
        return configuration
    }
}
