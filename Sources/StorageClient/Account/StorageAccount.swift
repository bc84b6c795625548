import StorageAuth
import StorageCore

/// A storage account as blobflow reaches it: its name, its blob and queue endpoints and the
/// credential to use.
///
/// Endpoints are absolute URLs without a trailing slash. An endpoint may carry a path, as the
/// development server's path-style ones do (`http://127.0.0.1:10000/devstoreaccount1`).
public struct StorageAccount: Sendable {
    /// The account name.
    public var name: String
    /// `https://NAME.blob.core.windows.net` or an explicit endpoint.
    public var blobEndpoint: String
    /// `https://NAME.queue.core.windows.net` or an explicit endpoint.
    public var queueEndpoint: String
    /// How requests are authorized.
    public var credential: StorageCredential

    /// Creates an account with explicit endpoints.
    public init(name: String, blobEndpoint: String, queueEndpoint: String, credential: StorageCredential) {
        self.name = name
        self.blobEndpoint = Self.trimmingTrailingSlash(blobEndpoint)
        self.queueEndpoint = Self.trimmingTrailingSlash(queueEndpoint)
        self.credential = credential
    }

    /// An Azure account by name, with endpoints under `endpointSuffix`.
    public init(
        name: String,
        credential: StorageCredential,
        endpointSuffix: String = "core.windows.net",
        protocol scheme: String = "https"
    ) {
        self.init(
            name: name,
            blobEndpoint: "\(scheme)://\(name).blob.\(endpointSuffix)",
            queueEndpoint: "\(scheme)://\(name).queue.\(endpointSuffix)",
            credential: credential
        )
    }

    /// The development account on the development server's (and Azurite's) default ports.
    public static func development(
        host: String = "127.0.0.1",
        blobPort: Int = 10000,
        queuePort: Int = 10001
    ) -> StorageAccount {
        StorageAccount(
            name: ConnectionString.developmentAccountName,
            blobEndpoint: "http://\(host):\(blobPort)/\(ConnectionString.developmentAccountName)",
            queueEndpoint: "http://\(host):\(queuePort)/\(ConnectionString.developmentAccountName)",
            credential: .sharedKey(
                StorageAccountKey(
                    accountName: ConnectionString.developmentAccountName,
                    base64Key: ConnectionString.developmentAccountKey
                )!
            )
        )
    }

    /// Parses an Azure Storage connection string (see ``ConnectionString``).
    public init(connectionString: String) throws(StorageConfigurationError) {
        self = try ConnectionString.parse(connectionString)
    }

    /// `host[:port]` of the blob endpoint: an event whose URL names another host is not this
    /// account's.
    public var blobEndpointHost: String? {
        guard let scheme = self.blobEndpoint.firstRange(of: "://") else { return nil }
        return String(self.blobEndpoint[scheme.upperBound...].prefix { $0 != "/" })
    }

    /// The path of an endpoint URL (`/devstoreaccount1` for path-style URLs, "" otherwise).
    static func pathOf(_ endpoint: String) -> String {
        guard let scheme = endpoint.firstRange(of: "://") else { return "" }
        let rest = endpoint[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "" }
        return String(rest[slash...])
    }

    private static func trimmingTrailingSlash(_ text: String) -> String {
        var text = text
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}

/// A configuration value that cannot work, with a message saying which and why (never the secret).
public struct StorageConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { self.message }
}
