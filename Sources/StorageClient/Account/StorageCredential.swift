public import StorageAuth

/// How requests prove who they come from.
public enum StorageCredential: Sendable {
    /// Shared Key: every request signed with the account key.
    case sharedKey(StorageAccountKey)
    /// A SAS token (the query string without the leading `?`) appended to every request.
    case sas(String)
    /// A bearer token from Microsoft Entra ID: managed identity, workload identity, ...
    case token(any TokenCredential)
    /// No credential: public containers only.
    case anonymous

    /// A short, secret-free name for logs: `shared key`, `SAS`, `token`, `anonymous`.
    public var kind: String {
        switch self {
        case .sharedKey: "shared key"
        case .sas: "SAS"
        case .token: "token"
        case .anonymous: "anonymous"
        }
    }
}
