import StorageAuth
import Testing

/// One shared access signature that both StorageAuth and the Python SDK's `generate_*_sas`
/// functions build and sign.
struct SASCrossCheckCase: Sendable, CustomTestStringConvertible {
    /// What the SAS grants access to, and so which SDK function builds it.
    enum Target: Sendable {
        case blob(container: String, blob: String)
        /// A directory; only with a user delegation key.
        case directory(container: String, path: String)
        case container(String)
        case queue(String)
        /// An account SAS, built by the blob or the queue package.
        case account(package: String)
    }

    var name: String
    var target: Target
    var account: CrossCheckAccount = .development
    /// The fields to sign; `version` is replaced with the version the SDK signs with.
    var fields: SharedAccessSignature
    /// Signs with this user delegation key instead of the account key.
    var userDelegationKey: UserDelegationKey?
    /// Leaves `sdd` out of the SDK's input, so it works the depth out from the path itself.
    var sdkComputesDirectoryDepth = false

    var testDescription: String { self.name }

    var scope: SharedAccessSignature.Scope {
        switch self.target {
        case .blob(let container, let blob): .blob(container: container, blob: blob)
        case .directory(let container, let path): .blob(container: container, blob: path)
        case .container(let container): .blob(container: container, blob: nil)
        case .queue(let queue): .queue(queue)
        case .account: .account
        }
    }

    /// The SAS as StorageAuth signs it with `version`.
    func signed(version: String) -> SharedAccessSignature {
        var sas = self.fields
        sas.version = version
        if let key = self.userDelegationKey {
            return sas.signed(scope: self.scope, userDelegationKey: key)
        }
        return sas.signed(scope: self.scope, key: self.account.key)
    }

    var toolCase: PythonSDKSigner.Case {
        let kind: String
        var resource: String?
        switch (self.target, self.userDelegationKey) {
        case (.account, _): kind = "accountSAS"
        case (.blob, nil): kind = "blobSAS"
        case (.container, nil): kind = "containerSAS"
        case (.queue, nil): kind = "queueSAS"
        case (.directory, nil): preconditionFailure("a directory SAS needs a user delegation key")
        case (.blob, _?): (kind, resource) = ("userDelegationSAS", "blob")
        case (.directory, _?): (kind, resource) = ("userDelegationSAS", "directory")
        case (.container, _?): (kind, resource) = ("userDelegationSAS", "container")
        case (.queue, _?): (kind, resource) = ("userDelegationSAS", "queue")
        }
        var tool = PythonSDKSigner.Case(
            id: self.name,
            kind: kind,
            account: self.account.name,
            key: self.userDelegationKey == nil ? self.account.base64Key : nil
        )
        tool.resource = resource
        switch self.target {
        case .blob(let container, let blob), .directory(let container, let blob):
            tool.container = container
            tool.blob = blob
        case .container(let container): tool.container = container
        case .queue(let queue): tool.queue = queue
        case .account(let package): tool.service = package
        }
        func nonEmpty(_ value: String?) -> String? { value?.isEmpty == false ? value : nil }
        let sas = self.fields
        tool.permission = nonEmpty(sas.permissions)
        tool.expiry = nonEmpty(sas.expiry)
        tool.start = sas.start
        tool.services = sas.services
        tool.resourceTypes = sas.resourceTypes
        tool.ip = sas.ipRange
        tool.protocol = sas.protocols
        tool.policyID = sas.identifier
        tool.cacheControl = sas.cacheControl
        tool.contentDisposition = sas.contentDisposition
        tool.contentEncoding = sas.contentEncoding
        tool.contentLanguage = sas.contentLanguage
        tool.contentType = sas.contentType
        tool.encryptionScope = sas.encryptionScope
        tool.correlationID = sas.correlationID
        tool.preauthorizedAgentObjectID = sas.authorizedObjectID
        tool.agentObjectID = sas.unauthorizedObjectID
        tool.delegatedUserObjectID = sas.delegatedUserObjectID
        switch sas.resource {
        case "bs": tool.snapshot = sas.snapshotTime
        case "bv": tool.versionID = sas.snapshotTime
        default: break
        }
        tool.directoryDepth = self.sdkComputesDirectoryDepth ? nil : sas.directoryDepth
        if let key = self.userDelegationKey {
            var fields = [
                "signedObjectID": key.signedObjectID, "signedTenantID": key.signedTenantID,
                "signedStart": key.signedStart, "signedExpiry": key.signedExpiry,
                "signedService": key.signedService, "signedVersion": key.signedVersion, "value": key.value,
            ]
            fields["signedDelegatedUserTenantID"] = key.signedDelegatedUserTenantID
            tool.userDelegationKey = fields
        }
        return tool
    }
}

extension SASCrossCheckCase {
    static let expiry = "2030-01-02T03:04:05Z"

    /// An unsigned SAS; `version` is filled in when signing.
    static func fields(
        _ permissions: String,
        expiry: String = Self.expiry,
        _ configure: (inout SharedAccessSignature) -> Void = { _ in }
    ) -> SharedAccessSignature {
        var sas = SharedAccessSignature(version: "", permissions: permissions, expiry: expiry)
        configure(&sas)
        return sas
    }

    static let blobDelegationKey = UserDelegationKey(
        accountName: "devstoreaccount1",
        signedObjectID: "6a3c1c5e-7d4f-4b8e-9a0b-1c2d3e4f5a6b",
        signedTenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47",
        signedStart: "2026-11-20T09:00:00Z",
        signedExpiry: "2026-11-27T09:00:00Z",
        signedService: "b",
        signedVersion: "2026-10-06",
        value: "v5WCvlAO0LcNWmd1adGRmRbSW5qL96g9nPPoYnnSeVI="
    )!

    static let otherAccountDelegationKey = UserDelegationKey(
        accountName: "blobflowxcheck",
        signedObjectID: "0b6f3a2e-1111-4c4c-8d8d-9e9e9e9e9e9e",
        signedTenantID: "3c2b1a09-2222-4d4d-8e8e-0f0f0f0f0f0f",
        signedStart: "2026-11-20T09:15:43.1234567Z",
        signedExpiry: "2026-11-21T09:15:43.1234567Z",
        signedService: "b",
        signedVersion: "2025-11-05",
        signedDelegatedUserTenantID: "9d8c7b6a-3333-4e4e-8f8f-1a1a1a1a1a1a",
        value: "i6on7ZkNatrzjgL31ZYXq3/0lxnS8N38eyvRb51UwKM="
    )!

    static let queueDelegationKey = UserDelegationKey(
        accountName: "devstoreaccount1",
        signedObjectID: "6a3c1c5e-7d4f-4b8e-9a0b-1c2d3e4f5a6b",
        signedTenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47",
        signedStart: "2026-11-20T09:00:00Z",
        signedExpiry: "2026-11-27T09:00:00Z",
        signedService: "q",
        signedVersion: "2026-10-06",
        value: "i6on7ZkNatrzjgL31ZYXq3/0lxnS8N38eyvRb51UwKM="
    )!

    static let all: [SASCrossCheckCase] = [
        // Service SAS for a blob
        .init(
            name: "blob: expiry only",
            target: .blob(container: "input", blob: "dir/a b.txt"),
            fields: fields("r") { $0.resource = "b" }
        ),
        .init(
            name: "blob: start, IP range, https only",
            target: .blob(container: "input", blob: "report.csv"),
            account: .other,
            fields: fields("racwd") {
                $0.resource = "b"
                $0.start = "2026-11-20T09:15:43Z"
                $0.ipRange = "168.1.5.60-168.1.5.70"
                $0.protocols = "https"
            }
        ),
        .init(
            name: "blob: single IP, https and http, response header overrides",
            target: .blob(container: "input", blob: "dir/report.pdf"),
            fields: fields("r") {
                $0.resource = "b"
                $0.ipRange = "10.0.0.1"
                $0.protocols = "https,http"
                $0.cacheControl = "no-cache, max-age=0"
                $0.contentDisposition = "attachment; filename=\"report 2026.pdf\""
                $0.contentEncoding = "gzip"
                $0.contentLanguage = "en-GB"
                $0.contentType = "application/pdf; charset=utf-8"
            }
        ),
        .init(
            name: "blob: unicode name, encryption scope",
            target: .blob(container: "input", blob: "日本語/café 😀.txt"),
            account: .other,
            fields: fields("rw") {
                $0.resource = "b"
                $0.encryptionScope = "scope-1"
            }
        ),
        .init(
            name: "blob: snapshot",
            target: .blob(container: "input", blob: "a.txt"),
            fields: fields("r") {
                $0.resource = "bs"
                $0.snapshotTime = "2026-11-20T09:15:43.1234567Z"
            }
        ),
        .init(
            name: "blob: version",
            target: .blob(container: "input", blob: "a.txt"),
            fields: fields("rd") {
                $0.resource = "bv"
                $0.snapshotTime = "2026-11-20T09:15:43.1234567Z"
            }
        ),
        .init(
            name: "blob: stored access policy only",
            target: .blob(container: "input", blob: "a.txt"),
            fields: fields("", expiry: "") {
                $0.resource = "b"
                $0.identifier = "policy-1"
            }
        ),

        // Service SAS for a container
        .init(name: "container: rwl", target: .container("input"), fields: fields("rwl") { $0.resource = "c" }),
        .init(
            name: "container: everything",
            target: .container("output"),
            account: .other,
            fields: fields("racwdxltfmei") {
                $0.resource = "c"
                $0.start = "2026-11-20T09:15:43Z"
                $0.ipRange = "168.1.5.65"
                $0.protocols = "https"
                $0.identifier = "policy-2"
                $0.contentType = "text/csv"
                $0.encryptionScope = "scope-2"
            }
        ),

        // Service SAS for a queue
        .init(name: "queue: raup", target: .queue("events"), fields: fields("raup")),
        .init(
            name: "queue: start, IP range, protocol, policy",
            target: .queue("events-poison"),
            account: .other,
            fields: fields("rp") {
                $0.start = "2026-11-20T09:15:43Z"
                $0.ipRange = "168.1.5.60-168.1.5.70"
                $0.protocols = "https"
                $0.identifier = "readers"
            }
        ),

        // Account SAS
        .init(
            name: "account: blob package, sco",
            target: .account(package: "blob"),
            fields: fields("rl") {
                $0.services = "b"
                $0.resourceTypes = "sco"
            }
        ),
        .init(
            name: "account: blob package, every field",
            target: .account(package: "blob"),
            account: .other,
            fields: fields("rwdlacupitfx") {
                $0.services = "bqtf"
                $0.resourceTypes = "sc"
                $0.start = "2026-11-20T09:15:43Z"
                $0.ipRange = "168.1.5.60-168.1.5.70"
                $0.protocols = "https,http"
                $0.encryptionScope = "scope-3"
            }
        ),
        .init(
            name: "account: queue package",
            target: .account(package: "queue"),
            fields: fields("raup") {
                $0.services = "q"
                $0.resourceTypes = "co"
                $0.protocols = "https"
            }
        ),

        // User delegation SAS
        .init(
            name: "user delegation: blob",
            target: .blob(container: "input", blob: "dir/a b.txt"),
            fields: fields("r") { $0.resource = "b" },
            userDelegationKey: blobDelegationKey
        ),
        .init(
            name: "user delegation: blob, every optional field",
            target: .blob(container: "input", blob: "日本語/café.txt"),
            account: .other,
            fields: fields("racwd") {
                $0.resource = "b"
                $0.start = "2026-11-20T09:15:43Z"
                $0.ipRange = "168.1.5.60-168.1.5.70"
                $0.protocols = "https"
                $0.authorizedObjectID = "aaaaaaaa-0000-4000-8000-000000000001"
                $0.correlationID = "cccccccc-0000-4000-8000-000000000003"
                $0.delegatedUserObjectID = "dddddddd-0000-4000-8000-000000000004"
                $0.encryptionScope = "scope-4"
                $0.cacheControl = "no-cache"
                $0.contentDisposition = "inline"
                $0.contentType = "text/plain"
            },
            userDelegationKey: otherAccountDelegationKey
        ),
        .init(
            name: "user delegation: blob snapshot",
            target: .blob(container: "input", blob: "a.txt"),
            fields: fields("r") {
                $0.resource = "bs"
                $0.snapshotTime = "2026-11-20T09:15:43.1234567Z"
            },
            userDelegationKey: blobDelegationKey
        ),
        .init(
            name: "user delegation: container, unauthorized object ID",
            target: .container("input"),
            fields: fields("rl") {
                $0.resource = "c"
                $0.unauthorizedObjectID = "bbbbbbbb-0000-4000-8000-000000000002"
            },
            userDelegationKey: blobDelegationKey
        ),
        .init(
            name: "user delegation: directory, depth worked out by the SDK",
            target: .directory(container: "input", path: "d1/d2"),
            fields: fields("rl") {
                $0.resource = "d"
                $0.directoryDepth = 2
            },
            userDelegationKey: blobDelegationKey,
            sdkComputesDirectoryDepth: true
        ),
        .init(
            name: "user delegation: directory, explicit depth",
            target: .directory(container: "input", path: "d1"),
            account: .other,
            fields: fields("r") {
                $0.resource = "d"
                $0.directoryDepth = 1
                $0.correlationID = "cccccccc-0000-4000-8000-000000000005"
            },
            userDelegationKey: otherAccountDelegationKey
        ),
        .init(
            name: "user delegation: queue",
            target: .queue("events"),
            fields: fields("rp") {
                $0.start = "2026-11-20T09:15:43Z"
                $0.delegatedUserObjectID = "dddddddd-0000-4000-8000-000000000006"
            },
            userDelegationKey: queueDelegationKey
        ),
    ]
}
