public import StorageAuth

/// Everything a development storage server needs to start.
public struct DevStorageConfiguration: Sendable {
    /// The well-known development account, as Azurite and every Azure tool know it.
    public static let developmentAccountName = "devstoreaccount1"
    /// The public key of the development account. Not a secret: it is published by Microsoft.
    public static let developmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

    /// The address to listen on.
    public var host: String = "127.0.0.1"
    /// Blob service port; 0 picks a free one.
    public var blobPort: Int = 10000
    /// Queue service port; 0 picks a free one.
    public var queuePort: Int = 10001
    /// The folder holding all state; created if missing.
    public var location: String = ".blobflow/devstore"
    /// The accounts served; the development account is always among them.
    public var accounts: [StorageAccountKey]
    /// Event Grid subscriptions to emulate.
    public var subscriptions: [EventSubscription] = []
    /// Fault injection; nil for none.
    public var faults: FaultPlan?
    /// Largest queue message text accepted, in bytes (Azure: 64 KiB).
    public var maxMessageBytes: Int = 64 * 1024
    /// OAuth mode, like Azurite's `--oauth basic`: accept `Authorization: Bearer` with a Microsoft
    /// Entra ID access token (a JWT) for any served account, issue user delegation keys to such
    /// requests, and accept user delegation SAS.
    ///
    /// For development only: a token's claims (audience, lifetime, issuer) are checked as Azure
    /// checks them, but **not its signature**, so anyone who can reach the server can mint an
    /// accepted token; and every valid token may do everything (there is no RBAC). Tokens are
    /// accepted over plain http, which Azure refuses. Off by default.
    public var acceptBearerTokens: Bool = false

    /// A configuration serving the development account only.
    public init() {
        self.accounts = [
            StorageAccountKey(accountName: Self.developmentAccountName, base64Key: Self.developmentAccountKey)!
        ]
    }

    /// Adds accounts from `name:base64key;name2:base64key2` (the `BLOBFLOW_DEVSTORE_ACCOUNTS` format).
    public mutating func addAccounts(from specification: String) throws(DevStorageConfigurationError) {
        for entry in specification.split(separator: ";") where !String(entry).trimmingSpaces().isEmpty {
            let parts = entry.split(separator: ":", maxSplits: 1)
            let name = parts.first.map { String($0).trimmingSpaces() } ?? ""
            guard parts.count == 2, Self.isValidAccountName(name),
                let key = StorageAccountKey(accountName: name, base64Key: String(parts[1]).trimmingSpaces())
            else {
                throw DevStorageConfigurationError(
                    "account entry '\(name.isEmpty ? "?" : name):<key>' is not NAME:BASE64KEY with a 3-24 character lowercase name"
                )
            }
            self.accounts.removeAll { $0.accountName == name }
            self.accounts.append(key)
        }
    }

    static func isValidAccountName(_ name: String) -> Bool {
        (3...24).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
    }
}

/// A configuration mistake, with a message that says what to change.
public struct DevStorageConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { self.message }
}

extension String {
    /// The string without leading and trailing spaces.
    func trimmingSpaces() -> String {
        var view = Substring(self)
        while view.first == " " { view.removeFirst() }
        while view.last == " " { view.removeLast() }
        return String(view)
    }
}
