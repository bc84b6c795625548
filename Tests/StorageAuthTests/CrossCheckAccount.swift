import StorageAuth

/// The accounts the SDK cross-check signs for: the public development account and a made-up one,
/// so nothing depends on one particular name or key.
enum CrossCheckAccount: String, Sendable {
    case development = "devstoreaccount1"
    case other = "blobflowxcheck"

    var name: String { self.rawValue }

    var base64Key: String {
        switch self {
        case .development: "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
        case .other: "9PMMmAMQMy4kBgeVAAz16SZD/C1hWsqgFU/imwIWfR6pHH0ZLic9h38o+pbf6E/YnMZAQitGHOOxB3ON8raV3Q=="
        }
    }

    var key: StorageAccountKey { StorageAccountKey(accountName: self.name, base64Key: self.base64Key)! }
}
