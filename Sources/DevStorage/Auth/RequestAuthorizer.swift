import StorageAuth
import StorageCore

/// Checks a request's credentials the way Azure Storage does: Shared Key, Shared Key Lite,
/// service SAS, account SAS, anonymous access to a public container and, in OAuth mode, bearer
/// tokens and user delegation SAS.
struct RequestAuthorizer: Sendable {
    private let keys: [String: StorageAccountKey]
    /// OAuth mode: bearer tokens are accepted (see ``BearerToken``), and so user delegation keys
    /// are issued and user delegation SAS accepted.
    let acceptsBearerTokens: Bool

    init(accounts: [StorageAccountKey], acceptsBearerTokens: Bool = false) {
        var keys: [String: StorageAccountKey] = [:]
        for account in accounts { keys[account.accountName] = account }
        self.keys = keys
        self.acceptsBearerTokens = acceptsBearerTokens
    }

    func hasAccount(_ name: String) -> Bool { self.keys[name] != nil }

    /// The key of a served account.
    func accountKey(_ name: String) -> StorageAccountKey? { self.keys[name] }

    /// The container's public access level, when the resource has one (nil, `blob` or `container`).
    func authorize(
        _ request: StorageRequest,
        requirement: AccessRequirement,
        publicAccess: String? = nil
    ) throws(StorageServiceError) {
        guard let key = self.keys[request.account] else { throw .accountNotFound }
        if let authorization = request.header("authorization") {
            if Self.bearerToken(in: authorization) != nil {
                _ = try self.checkBearer(request)
            } else {
                try self.checkSharedKey(request, authorization: authorization, key: key)
            }
        } else if let sas = SharedAccessSignature(query: request.query) {
            try self.checkSAS(sas, request: request, requirement: requirement, key: key)
        } else {
            switch (requirement.publicAccess, publicAccess) {
            case (.blobRead, "blob"), (.blobRead, "container"), (.containerRead, "container"):
                return
            default:
                throw .authenticationFailed("The request carries no credentials and the resource is not public.")
            }
        }
    }

    private func checkSharedKey(
        _ request: StorageRequest,
        authorization: String,
        key: StorageAccountKey
    ) throws(StorageServiceError) {
        guard let parsed = SharedKeyAuthorization.parseAuthorization(authorization) else {
            throw .authenticationFailed("The Authorization header is not 'SharedKey account:signature'.")
        }
        guard parsed.account == request.account else {
            throw .authenticationFailed(
                "The Authorization header names account '\(parsed.account)' but the request is for '\(request.account)'."
            )
        }
        guard let dateText = request.header("x-ms-date") ?? request.header("date") else {
            throw .authenticationFailed("The request has neither an x-ms-date nor a Date header.")
        }
        // Azure refuses requests dated more than 15 minutes away from its clock.
        if let date = StorageDate(rfc1123: dateText), abs(date.seconds - StorageDate.now().seconds) > 15 * 60 {
            throw .authenticationFailed("Request date header too old or too far in the future: '\(dateText)'.")
        }
        guard
            SharedKeyAuthorization.isValid(
                request.canonical,
                scheme: parsed.scheme,
                signature: parsed.signature,
                key: key
            )
        else {
            throw .authenticationFailed(
                "The MAC signature found in the HTTP request is not the same as any computed signature."
            )
        }
    }

    private func checkSAS(
        _ sas: SharedAccessSignature,
        request: StorageRequest,
        requirement: AccessRequirement,
        key: StorageAccountKey
    ) throws(StorageServiceError) {
        guard !sas.version.isEmpty else { throw .authenticationFailed("The SAS has no signed version (sv).") }
        guard !sas.expiry.isEmpty, let expiry = StorageDate(iso8601: sas.expiry) else {
            throw .authenticationFailed("The SAS has no valid signed expiry (se).")
        }
        let now = StorageDate.now()
        if let start = sas.start {
            guard let startDate = StorageDate(iso8601: start) else {
                throw .authenticationFailed("The SAS signed start (st) is not a date.")
            }
            guard startDate <= now else { throw .authenticationFailed("Signed start time \(start) is in the future.") }
        }
        guard now < expiry else {
            throw .authenticationFailed("Signed expiry time [\(sas.expiry)] must be after the current time.")
        }
        if let protocols = sas.protocols, !protocols.split(separator: ",").contains("http") {
            throw .protocolMismatch()
        }
        if let range = sas.ipRange, !range.isEmpty, !IPv4Range.contains(range, address: request.clientAddress) {
            throw .sourceIPMismatch()
        }

        let scope: SharedAccessSignature.Scope
        let isAccountSAS = sas.services != nil || sas.resourceTypes != nil
        if isAccountSAS {
            scope = .account
            let serviceLetter: Character = request.service == .blob ? "b" : "q"
            guard sas.services?.contains(serviceLetter) == true else { throw .serviceMismatch() }
            guard sas.resourceTypes?.contains(requirement.level.rawValue) == true else { throw .resourceTypeMismatch() }
        } else {
            switch request.service {
            case .queue:
                guard let queue = request.resourceName, requirement.level != .service else {
                    throw .resourceTypeMismatch()
                }
                scope = .queue(queue)
            case .blob:
                guard let container = request.resourceName, requirement.level != .service else {
                    throw .resourceTypeMismatch()
                }
                switch sas.resource {
                case "c":
                    scope = .blob(container: container, blob: nil)
                case "b":
                    guard requirement.level == .object, let blob = request.subPath else {
                        throw .resourceTypeMismatch()
                    }
                    scope = .blob(container: container, blob: blob)
                default:
                    throw .authenticationFailed(
                        "The SAS signed resource (sr) '\(sas.resource ?? "")' is not supported."
                    )
                }
            }
        }
        let stringToSign = sas.stringToSign(scope: scope, accountName: key.accountName)
        if sas.isUserDelegation {
            guard !isAccountSAS else {
                throw .authenticationFailed("An account SAS cannot be signed with a user delegation key.")
            }
            let delegationKey = try self.userDelegationKey(of: sas, service: request.service, accountKey: key)
            guard let signature = sas.signature, delegationKey.isValidSignature(signature, for: stringToSign) else {
                throw .authenticationFailed(
                    "Signature did not match. The SAS was not signed by this user delegation key for this resource."
                )
            }
        } else {
            guard let signature = sas.signature, key.isValidSignature(signature, for: stringToSign) else {
                throw .authenticationFailed(
                    "Signature did not match. The SAS was not signed by this account's key for this resource."
                )
            }
        }
        guard requirement.permissions.contains(where: { sas.permissions.contains($0) }) else {
            throw .permissionMismatch("The SAS grants '\(sas.permissions)'.")
        }
    }
}

extension RequestAuthorizer {
    /// Whether a SAS (from a copy source URL) grants read access to a blob.
    func isValidReadSAS(_ sas: SharedAccessSignature, account: String, container: String, blob: String) -> Bool {
        guard let key = self.keys[account], let signature = sas.signature, sas.permissions.contains("r"),
            let expiry = StorageDate(iso8601: sas.expiry), StorageDate.now() < expiry
        else { return false }
        let scopes: [SharedAccessSignature.Scope]
        if sas.services != nil {
            scopes = [.account]
        } else {
            scopes =
                sas.resource == "b"
                ? [.blob(container: container, blob: blob)] : [.blob(container: container, blob: nil)]
        }
        if sas.isUserDelegation {
            guard let delegationKey = try? self.userDelegationKey(of: sas, service: .blob, accountKey: key) else {
                return false
            }
            return scopes.contains {
                delegationKey.isValidSignature(signature, for: sas.stringToSign(scope: $0, accountName: account))
            }
        }
        return scopes.contains {
            key.isValidSignature(signature, for: sas.stringToSign(scope: $0, accountName: account))
        }
    }
}

/// `sip` ranges of a SAS: one IPv4 address or `first-last`.
enum IPv4Range {
    static func contains(_ range: String, address: String?) -> Bool {
        guard let address, let value = Self.parse(address) else { return false }
        let bounds = range.split(separator: "-", maxSplits: 1).map(String.init)
        guard let low = bounds.first.flatMap(Self.parse) else { return false }
        let high = bounds.count == 2 ? Self.parse(bounds[1]) : low
        guard let high else { return false }
        return low <= value && value <= high
    }

    private static func parse(_ text: String) -> UInt32? {
        let text = text.hasPrefix("::ffff:") ? String(text.dropFirst(7)) : text
        let parts = text.split(separator: ".")
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }
}
