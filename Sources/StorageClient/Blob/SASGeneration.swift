public import StorageAuth
public import StorageCore
import StorageHTTP

/// Least-privilege, short-lived shared access signatures for handing one blob or one container to
/// another program (azcopy) without handing it the account's credential.
public struct SASRequest: Sendable {
    /// Permission letters in Azure's order: `r` read, `a` add, `c` create, `w` write, `d` delete,
    /// `l` list. Grant only what the program needs: `r` to download one blob, `cw` to upload.
    public var permissions: String
    /// How long the SAS stays valid.
    public var lifetime: Duration
    /// Signs with this key instead of the account key: required when the account is reached with
    /// a token credential (managed or workload identity).
    public var userDelegationKey: UserDelegationKey?

    /// A request for a SAS.
    public init(permissions: String, lifetime: Duration = .seconds(3600), userDelegationKey: UserDelegationKey? = nil) {
        self.permissions = permissions
        self.lifetime = lifetime
        self.userDelegationKey = userDelegationKey
    }
}

extension BlobClient {
    /// This blob's URL with a SAS scoped to the blob alone. With a SAS-credentialed account, the
    /// configured SAS is appended as it is; with an anonymous one, the plain URL is returned.
    public func sasURL(_ request: SASRequest) throws -> String {
        let token = try SASSigner.token(
            account: self.pipeline.account,
            scope: .blob(container: self.container, blob: self.name),
            resource: "b",
            request: request
        )
        return token.isEmpty ? self.url : self.url + "?" + token
    }
}

extension BlobContainerClient {
    /// This container's URL with a SAS scoped to the container (for a program that writes several
    /// blobs under one prefix: Azure has no prefix-scoped SAS outside hierarchical-namespace accounts).
    public func sasURL(_ request: SASRequest) throws -> String {
        let token = try SASSigner.token(
            account: self.pipeline.account,
            scope: .blob(container: self.name, blob: nil),
            resource: "c",
            request: request
        )
        return token.isEmpty ? self.url : self.url + "?" + token
    }
}

extension StoragePipeline {
    /// Asks the blob service for a user delegation key (requires a token credential): the key that
    /// signs SAS tokens on behalf of the managed identity, valid from `start` to `expiry` (at most
    /// seven days).
    public func userDelegationKey(start: StorageDate, expiry: StorageDate) async throws -> UserDelegationKey {
        var operation = StorageOperation(
            "GetUserDelegationKey",
            .blob,
            "POST",
            path: "/",
            query: [("restype", "service"), ("comp", "userdelegationkey")]
        )
        operation.body = .bytes(
            BlobXML.userDelegationKeyRequestBody(
                start: start.iso8601(fractionDigits: 0),
                expiry: expiry.iso8601(fractionDigits: 0)
            )
        )
        operation.headers = [("Content-Type", "application/xml")]
        let response = try await self.send(operation)
        let reply: UserDelegationKeyReply
        do {
            reply = try BlobXML.userDelegationKey(response.body)
        } catch {
            throw StorageError.decoding(
                operation: operation.name,
                requestID: response.header("x-ms-request-id"),
                message: "\(error)"
            )
        }
        guard
            let key = UserDelegationKey(
                accountName: self.account.name,
                signedObjectID: reply.signedObjectID,
                signedTenantID: reply.signedTenantID,
                signedStart: reply.signedStart,
                signedExpiry: reply.signedExpiry,
                signedService: reply.signedService,
                signedVersion: reply.signedVersion,
                value: reply.value
            )
        else {
            throw StorageError.decoding(
                operation: operation.name,
                requestID: response.header("x-ms-request-id"),
                message: "the key value is not base64"
            )
        }
        return key
    }
}

enum SASSigner {
    /// Five minutes of clock skew allowed for on the start time, as Azure's guidance recommends.
    static let skew: Int64 = 300

    static func token(
        account: StorageAccount,
        scope: SharedAccessSignature.Scope,
        resource: String,
        request: SASRequest
    ) throws -> String {
        let now = StorageDate.now()
        var sas = SharedAccessSignature(
            permissions: request.permissions,
            start: now.adding(seconds: -Self.skew).iso8601(fractionDigits: 0),
            expiry: now.adding(seconds: max(60, request.lifetime.components.seconds)).iso8601(fractionDigits: 0)
        )
        sas.resource = resource
        sas.protocols = account.blobEndpoint.hasPrefix("https://") ? "https" : "https,http"
        let signed: SharedAccessSignature
        if let key = request.userDelegationKey {
            signed = sas.signed(scope: scope, userDelegationKey: key)
        } else {
            switch account.credential {
            case .sharedKey(let key):
                signed = sas.signed(scope: scope, key: key)
            case .sas(let token):
                return token
            case .anonymous:
                return ""
            case .token:
                throw StorageError.configuration(
                    operation: "GenerateSAS",
                    message:
                        "a SAS for a token-credentialed account needs a user delegation key (StoragePipeline.userDelegationKey)"
                )
            }
        }
        return signed.queryItems.map { PercentEncoding.encode($0.name) + "=" + PercentEncoding.encode($0.value) }
            .joined(separator: "&")
    }
}
