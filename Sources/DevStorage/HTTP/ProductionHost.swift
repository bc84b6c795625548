/// Recognises Azure's production host names (`ACCOUNT.blob.core.windows.net`,
/// `ACCOUNT.queue.core.windows.net`) in URLs the server reads, so that a client building a URL
/// from an account name (as the Azure CLI does for copy sources) reaches the same account here.
enum ProductionHost {
    /// The account a production host names for `service`, or nil for any other host.
    /// `host` may carry a port and user info; comparison ignores case, as DNS does.
    static func account(inHost host: Substring, service: StorageService) -> String? {
        var name = host
        if let at = name.lastIndex(of: "@") { name = name[name.index(after: at)...] }
        if let colon = name.firstIndex(of: ":") { name = name[..<colon] }
        let suffix = ".\(service.rawValue).core.windows.net"
        let lowered = name.lowercased()
        guard lowered.hasSuffix(suffix) else { return nil }
        let account = String(lowered.dropLast(suffix.count))
        guard !account.isEmpty, !account.contains(".") else { return nil }
        return account
    }
}
