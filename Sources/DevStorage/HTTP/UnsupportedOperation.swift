import HTTPTypes

/// Names, in the words of Azure's REST reference, the operations the development server
/// recognises but does not implement, so that a client asking for one gets Azurite's answer for
/// what it lacks (501 `APINotImplemented`) naming what was asked, rather than a silent success
/// or a misleading 400.
enum UnsupportedOperation {
    /// Azure's name for the operation a request asks for, or nil when the request names no
    /// operation of the service at all.
    static func name(_ request: StorageRequest) -> String? {
        let comp = request.query("comp")?.lowercased()
        let method = request.method
        let fromURL = request.header("x-ms-copy-source") != nil
        switch request.service {
        case .queue:
            guard request.resourceName == nil else { return nil }
            switch (method, comp) {
            case (.get, "stats"): return "Get Queue Service Stats"
            case (.options, _): return "Preflight Queue Request"
            default: return nil
            }
        case .blob:
            guard request.resourceName != nil else {
                switch (method, comp) {
                case (.get, "stats"): return "Get Blob Service Stats"
                case (.post, "batch"): return "Blob Batch"
                case (.get, "blobs"): return "Find Blobs by Tags"
                case (.options, _): return "Preflight Blob Request"
                default: return nil
                }
            }
            guard request.subPath != nil else {
                switch (method, comp) {
                case (.put, "lease"): return "Lease Container"
                case (.put, "undelete"): return "Restore Container"
                case (.put, "rename"): return "Rename Container"
                case (.post, "batch"): return "Blob Batch"
                case (.get, "blobs"): return "Find Blobs by Tags in Container"
                case (.options, _): return "Preflight Blob Request"
                default: return nil
                }
            }
            switch (method, comp) {
            case (.put, "lease"): return "Lease Blob"
            case (.put, "snapshot"): return "Snapshot Blob"
            case (.put, "undelete"): return "Undelete Blob"
            case (.put, "copy"): return "Abort Copy Blob"
            case (.put, "incrementalcopy"): return "Incremental Copy Blob"
            case (.put, "appendblock"): return fromURL ? "Append Block From URL" : "Append Block"
            case (.put, "seal"): return "Append Blob Seal"
            case (.put, "page"): return fromURL ? "Put Page From URL" : "Put Page"
            case (.get, "pagelist"): return "Get Page Ranges"
            case (.get, "tags"): return "Get Blob Tags"
            case (.put, "tags"): return "Set Blob Tags"
            case (.put, "immutabilitypolicies"): return "Set Blob Immutability Policy"
            case (.delete, "immutabilitypolicies"): return "Delete Blob Immutability Policy"
            case (.put, "legalhold"): return "Set Blob Legal Hold"
            case (.put, "expiry"): return "Set Blob Expiry"
            case (.post, "query"): return "Query Blob Contents"
            case (.options, _): return "Preflight Blob Request"
            default: return nil
            }
        }
    }

    /// The operation name for logs and fault plans: Azure's words without spaces, as the
    /// implemented operations are named (`LeaseBlob`), or `Unknown`.
    static func logName(_ request: StorageRequest) -> String {
        guard let name = Self.name(request) else { return "Unknown" }
        return name.split(separator: " ").joined()
    }
}
