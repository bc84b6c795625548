public import Logging
import StorageAuth
public import StorageClient
public import StorageHTTP

/// Which storage account blobflow works with and how it signs in.
///
/// Key, SAS and connection-string accounts are complete once read. An account given by name
/// alone signs in with Microsoft Entra ID (workload identity, then managed identity), which needs
/// an HTTP client, so ``makeAccount(http:logger:)`` finishes it.
public struct StorageSettings: Sendable {
    enum Source: Sendable {
        case ready(StorageAccount)
        case identity(name: String, blobEndpoint: String, queueEndpoint: String)
    }

    let source: Source
    /// The environment the identity credentials read (AZURE_CLIENT_ID, IDENTITY_ENDPOINT, ...).
    let environment: [String: String]

    /// The account name.
    public var accountName: String {
        switch self.source {
        case .ready(let account): account.name
        case .identity(let name, _, _): name
        }
    }

    /// How requests are authorized, for logs: `shared key`, `SAS`, `token`, `anonymous`.
    public var credentialKind: String {
        switch self.source {
        case .ready(let account): account.credential.kind
        case .identity: "managed identity"
        }
    }

    /// The blob endpoint URL.
    public var blobEndpoint: String {
        switch self.source {
        case .ready(let account): account.blobEndpoint
        case .identity(_, let endpoint, _): endpoint
        }
    }

    /// The account with its credential, ready for a ``StoragePipeline``.
    public func makeAccount(http: any HTTPExecutor, logger: Logger) -> StorageAccount {
        switch self.source {
        case .ready(let account):
            return account
        case .identity(let name, let blobEndpoint, let queueEndpoint):
            let chain = ChainedTokenCredential.defaultChain(environment: self.environment, httpClient: http)
            let credential = CachingTokenCredential(chain, logger: logger)
            return StorageAccount(
                name: name,
                blobEndpoint: blobEndpoint,
                queueEndpoint: queueEndpoint,
                credential: .token(credential)
            )
        }
    }

    /// Reads the storage variables; appends a message per problem.
    static func read(_ values: SettingsValues, problems: inout [String]) -> StorageSettings? {
        let connectionString = values[.connectionString]
        let name = values[.accountName]
        let key = values[.accountKey]
        let sas = values[.sasToken]
        let blobEndpoint = values[.blobEndpoint]
        let queueEndpoint = values[.queueEndpoint]

        if let connectionString {
            if name != nil || key != nil || sas != nil {
                problems.append(
                    "\(SettingKey.connectionString) is set together with \(SettingKey.accountName)/\(SettingKey.accountKey)/\(SettingKey.sasToken): set one or the other"
                )
                return nil
            }
            do {
                var account = try StorageAccount(connectionString: connectionString)
                if let blobEndpoint { account.blobEndpoint = Self.trimmed(blobEndpoint) }
                if let queueEndpoint { account.queueEndpoint = Self.trimmed(queueEndpoint) }
                return StorageSettings(source: .ready(account), environment: values.environment)
            } catch {
                problems.append("\(SettingKey.connectionString): \(error.message)")
                return nil
            }
        }
        guard let name else {
            problems.append(
                "no storage account: set \(SettingKey.connectionString), or \(SettingKey.accountName) with \(SettingKey.accountKey), \(SettingKey.sasToken) or a managed identity"
            )
            return nil
        }
        guard name.utf8.count >= 3, name.utf8.count <= 24,
            name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) })
        else {
            problems.append(
                "\(SettingKey.accountName): '\(name)' is not a storage account name (3-24 lower-case letters and digits)"
            )
            return nil
        }
        for (setting, value) in [(SettingKey.blobEndpoint, blobEndpoint), (SettingKey.queueEndpoint, queueEndpoint)] {
            if let value, !(value.hasPrefix("https://") || value.hasPrefix("http://")) {
                problems.append("\(setting): '\(value)' is not an http(s) URL")
                return nil
            }
        }
        let blob = blobEndpoint.map(Self.trimmed) ?? "https://\(name).blob.core.windows.net"
        let queue = queueEndpoint.map(Self.trimmed) ?? "https://\(name).queue.core.windows.net"
        if key != nil, sas != nil {
            problems.append("both \(SettingKey.accountKey) and \(SettingKey.sasToken) are set: set one")
            return nil
        }
        if let key {
            guard let accountKey = StorageAccountKey(accountName: name, base64Key: key) else {
                problems.append("\(SettingKey.accountKey) is not a base64 account key")
                return nil
            }
            let account = StorageAccount(
                name: name,
                blobEndpoint: blob,
                queueEndpoint: queue,
                credential: .sharedKey(accountKey)
            )
            return StorageSettings(source: .ready(account), environment: values.environment)
        }
        if let sas {
            let token = sas.hasPrefix("?") ? String(sas.dropFirst()) : sas
            guard token.contains("sig=") else {
                problems.append("\(SettingKey.sasToken) has no signature (sig=); copy the whole SAS query string")
                return nil
            }
            let account = StorageAccount(name: name, blobEndpoint: blob, queueEndpoint: queue, credential: .sas(token))
            return StorageSettings(source: .ready(account), environment: values.environment)
        }
        return StorageSettings(
            source: .identity(name: name, blobEndpoint: blob, queueEndpoint: queue),
            environment: values.environment
        )
    }

    private static func trimmed(_ endpoint: String) -> String {
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        return endpoint
    }
}
