import StorageAuth

/// Azure Storage connection strings, parsed the way the Azure SDKs do.
///
/// Keys (case-insensitive): `UseDevelopmentStorage=true`, `DefaultEndpointsProtocol`,
/// `AccountName`, `AccountKey`, `EndpointSuffix` (default `core.windows.net`), `BlobEndpoint`,
/// `QueueEndpoint`, `FileEndpoint`, `TableEndpoint` and `SharedAccessSignature`. Explicit
/// endpoints win over derived ones; a SAS wins over nothing but is used only without a key.
public enum ConnectionString {
    /// The development account's name.
    public static let developmentAccountName = "devstoreaccount1"
    /// The development account's published key (not a secret).
    public static let developmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

    /// Parses a connection string into an account with its credential.
    public static func parse(_ text: String) throws(StorageConfigurationError) -> StorageAccount {
        var settings: [String: String] = [:]
        for part in text.split(separator: ";") {
            let trimmed = part.trimmingCharacters(in: " \t\r\n")
            guard !trimmed.isEmpty else { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw StorageConfigurationError(
                    "the connection string has a part without '=' (expected Key=Value pairs separated by ';')"
                )
            }
            let key = String(trimmed[..<equals]).lowercased()
            let value = String(trimmed[trimmed.index(after: equals)...])
            guard settings[key] == nil else {
                throw StorageConfigurationError("the connection string sets '\(trimmed[..<equals])' twice")
            }
            settings[key] = value
        }
        guard !settings.isEmpty else { throw StorageConfigurationError("the connection string is empty") }

        if settings["usedevelopmentstorage"]?.lowercased() == "true" {
            var account = StorageAccount.development()
            if let proxy = settings["developmentstorageproxyuri"], !proxy.isEmpty {
                let base = proxy.hasSuffix("/") ? String(proxy.dropLast()) : proxy
                account.blobEndpoint = "\(base):10000/\(developmentAccountName)"
                account.queueEndpoint = "\(base):10001/\(developmentAccountName)"
            }
            return account
        }

        let scheme = (settings["defaultendpointsprotocol"] ?? "https").lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw StorageConfigurationError("DefaultEndpointsProtocol must be https or http, not '\(scheme)'")
        }
        let suffix = settings["endpointsuffix"] ?? "core.windows.net"
        let explicitBlob = settings["blobendpoint"].flatMap { $0.isEmpty ? nil : $0 }
        let explicitQueue = settings["queueendpoint"].flatMap { $0.isEmpty ? nil : $0 }
        var name = settings["accountname"] ?? ""
        if name.isEmpty {
            // SAS connection strings often name only endpoints: take the account from the host.
            name = (explicitBlob ?? explicitQueue).flatMap(Self.accountFromHost) ?? ""
        }
        guard !name.isEmpty else {
            throw StorageConfigurationError(
                "the connection string names no AccountName and no BlobEndpoint/QueueEndpoint"
            )
        }
        for (label, endpoint) in [("BlobEndpoint", explicitBlob), ("QueueEndpoint", explicitQueue)] {
            if let endpoint, !(endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://")) {
                throw StorageConfigurationError("\(label) must be an http:// or https:// URL")
            }
        }

        let credential: StorageCredential
        if let key = settings["accountkey"], !key.isEmpty {
            guard let accountKey = StorageAccountKey(accountName: name, base64Key: key) else {
                throw StorageConfigurationError("AccountKey for account '\(name)' is not valid base64")
            }
            credential = .sharedKey(accountKey)
        } else if let sas = settings["sharedaccesssignature"], !sas.isEmpty {
            credential = .sas(sas.hasPrefix("?") ? String(sas.dropFirst()) : sas)
        } else {
            throw StorageConfigurationError("the connection string has neither AccountKey nor SharedAccessSignature")
        }
        return StorageAccount(
            name: name,
            blobEndpoint: explicitBlob ?? "\(scheme)://\(name).blob.\(suffix)",
            queueEndpoint: explicitQueue ?? "\(scheme)://\(name).queue.\(suffix)",
            credential: credential
        )
    }

    /// `acct` from `https://acct.blob.core.windows.net`, or the first path segment of a path-style
    /// endpoint such as `http://127.0.0.1:10000/devstoreaccount1`.
    static func accountFromHost(_ endpoint: String) -> String? {
        guard let scheme = endpoint.firstRange(of: "://") else { return nil }
        let rest = endpoint[scheme.upperBound...]
        let hostEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let host = rest[..<hostEnd]
        let path = rest[hostEnd...].split(separator: "/").first.map(String.init)
        if let first = host.split(separator: ".").first, host.contains("."),
            !host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" })
        {
            return String(first)
        }
        return path
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var view = Substring(self)
        while let first = view.first, set.contains(first) { view.removeFirst() }
        while let last = view.last, set.contains(last) { view.removeLast() }
        return String(view)
    }
}
