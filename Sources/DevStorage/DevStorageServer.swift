import Foundation
import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle
import StorageAuth
import Synchronization

/// Where a running development server answers.
public struct DevStorageEndpoints: Sendable, Hashable {
    /// The host both services listen on.
    public var host: String
    public var blobPort: Int
    public var queuePort: Int

    /// `http://HOST:PORT/ACCOUNT`, the blob endpoint of an account.
    public func blobEndpoint(account: String = DevStorageConfiguration.developmentAccountName) -> String {
        "http://\(self.host):\(self.blobPort)/\(account)"
    }

    /// `http://HOST:PORT/ACCOUNT`, the queue endpoint of an account.
    public func queueEndpoint(account: String = DevStorageConfiguration.developmentAccountName) -> String {
        "http://\(self.host):\(self.queuePort)/\(account)"
    }

    /// A connection string any Azure SDK, the Azure CLI or Storage Explorer accepts.
    public func connectionString(
        account: String = DevStorageConfiguration.developmentAccountName,
        key: String = DevStorageConfiguration.developmentAccountKey
    ) -> String {
        "DefaultEndpointsProtocol=http;AccountName=\(account);AccountKey=\(key);"
            + "BlobEndpoint=\(self.blobEndpoint(account: account));QueueEndpoint=\(self.queueEndpoint(account: account));"
    }
}

/// The development storage server: Azure Blob and Queue REST on two local ports, with state in a
/// folder and Event Grid emulation. Run it as a `Service` (it stops on graceful shutdown).
public final class DevStorageServer: Service {
    private let configuration: DevStorageConfiguration
    private let logger: Logger
    private let onReady: @Sendable (DevStorageEndpoints) async -> Void
    private let queueStore: QueueStore
    private let blobStore: BlobStore
    private let ports = Mutex<(blob: Int?, queue: Int?)>((nil, nil))
    /// Held for the server's lifetime: a second server on the same folder refuses to start.
    private let folderLock: DataFolderLock

    /// Locks and opens (or creates) the state folder and prepares both services. Nothing listens
    /// until `run()`. Throws a `DataFolderLockError` when another process holds the folder.
    public init(
        configuration: DevStorageConfiguration,
        logger: Logger,
        onReady: @escaping @Sendable (DevStorageEndpoints) async -> Void = { _ in }
    ) throws {
        self.configuration = configuration
        self.logger = logger
        self.onReady = onReady
        let location = (configuration.location as NSString).expandingTildeInPath
        self.folderLock = try DataFolderLock(folder: location)
        do {
            self.queueStore = try QueueStore(location: location + "/queue")
            self.blobStore = try BlobStore(location: location + "/blob")
        } catch {
            throw DevStorageConfigurationError("cannot use the data folder '\(configuration.location)': \(error)")
        }
        let accounts = Set(configuration.accounts.map(\.accountName))
        for subscription in configuration.subscriptions {
            guard accounts.contains(subscription.account) else {
                throw DevStorageConfigurationError(
                    "subscription names account '\(subscription.account)', which this server does not serve"
                )
            }
            guard ResourceNames.isValidContainerOrQueueName(subscription.container),
                ResourceNames.isValidContainerOrQueueName(subscription.queue)
            else {
                throw DevStorageConfigurationError(
                    "subscription container '\(subscription.container)' or queue '\(subscription.queue)' is not a valid name"
                )
            }
            _ = try? self.blobStore.createContainer(
                account: subscription.account,
                name: subscription.container,
                metadata: [:],
                publicAccess: nil
            )
            _ = try? self.queueStore.createQueue(account: subscription.account, name: subscription.queue, metadata: [:])
        }
    }

    public func run() async throws {
        let host = self.configuration.host
        let authorizer = RequestAuthorizer(
            accounts: self.configuration.accounts,
            acceptsBearerTokens: self.configuration.acceptBearerTokens
        )
        let faults = self.configuration.faults.map(FaultInjector.init(plan:))
        let blobEndpoint: @Sendable (String) -> String = { [self] account in
            "http://\(host):\(self.ports.withLock { $0.blob ?? 0 })/\(account)/"
        }
        let queueEndpoint: @Sendable (String) -> String = { [self] account in
            "http://\(host):\(self.ports.withLock { $0.queue ?? 0 })/\(account)/"
        }
        let events = EventGridEmulator(
            subscriptions: self.configuration.subscriptions,
            queues: self.queueStore,
            blobEndpoint: blobEndpoint,
            logger: self.logger
        )
        let queueService = QueueService(
            store: self.queueStore,
            authorizer: authorizer,
            maxMessageBytes: self.configuration.maxMessageBytes,
            endpoint: queueEndpoint
        )
        let blobService = BlobService(
            store: self.blobStore,
            authorizer: authorizer,
            events: events,
            endpoint: blobEndpoint
        )

        func application(_ service: StorageService, port: Int) -> ListeningService<some Service> {
            let application = Application(
                responder: DevStorageResponder(
                    service: service,
                    queues: queueService,
                    blobs: blobService,
                    faults: faults,
                    logger: self.logger
                ),
                server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
                configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
                onServerRunning: { channel in
                    let bound = channel.localAddress?.port ?? port
                    await self.bound(service, port: bound)
                },
                logger: self.logger
            )
            return ListeningService(application: application, host: host, port: port, service: service)
        }
        // When one service cannot listen, the other is shut down too (not merely cancelled, which
        // a listening server does not notice), so `run()` ends at once with that error.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(
                        service: application(.blob, port: self.configuration.blobPort),
                        failureTerminationBehavior: .gracefullyShutdownGroup
                    ),
                    .init(
                        service: application(.queue, port: self.configuration.queuePort),
                        failureTerminationBehavior: .gracefullyShutdownGroup
                    ),
                ],
                logger: self.logger
            )
        )
        try await group.run()
    }

    private func bound(_ service: StorageService, port: Int) async {
        let ready: DevStorageEndpoints? = self.ports.withLock { ports in
            switch service {
            case .blob: ports.blob = port
            case .queue: ports.queue = port
            }
            guard let blob = ports.blob, let queue = ports.queue else { return nil }
            return DevStorageEndpoints(host: self.configuration.host, blobPort: blob, queuePort: queue)
        }
        if let ready { await self.onReady(ready) }
    }
}

/// One service's HTTP server, whose failure to listen is reported with the port and what to do.
struct ListeningService<Wrapped: Service>: Service {
    let application: Wrapped
    let host: String
    let port: Int
    let service: StorageService

    func run() async throws {
        do {
            try await self.application.run()
        } catch let error as IOError {
            throw DevStorageListenError(host: self.host, port: self.port, service: self.service, errno: error.errnoCode)
        }
    }
}

/// A port the development storage server cannot listen on.
public struct DevStorageListenError: Error, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    let service: StorageService
    let errno: Int32

    public var description: String {
        let what = self.service == .blob ? "blob service" : "queue service"
        let flag = self.service == .blob ? "--blob-port" : "--queue-port"
        if self.errno == EADDRINUSE {
            return "port \(self.port) (\(what)) on \(self.host) is already in use: stop the program using it "
                + "(another blobflow dev or devstore, or Azurite?) or choose another port with \(flag) (0 picks a free one)"
        }
        return "cannot listen on \(self.host) port \(self.port) (\(what)): \(String(cString: strerror(self.errno)))"
    }
}
