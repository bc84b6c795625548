import StorageAuth
import StorageCore

/// The signed fields of a user delegation key: everything its value is derived from.
struct UserDelegationKeyFields: Sendable, Hashable {
    /// `SignedOid`: the principal the key was issued to.
    var objectID: String
    /// `SignedTid`: the principal's tenant.
    var tenantID: String
    /// `SignedStart`, whole seconds.
    var start: StorageDate
    /// `SignedExpiry`, whole seconds.
    var expiry: StorageDate
    /// `SignedService`: `b` or `q`.
    var service: String
    /// `SignedVersion`: the `x-ms-version` the key was requested with.
    var version: String
    /// `SignedDelegatedUserTid`, when the key was requested for a delegated user.
    var delegatedUserTenantID: String?

    /// The service letter of a user delegation key issued by `service`.
    static func serviceLetter(_ service: StorageService) -> String {
        service == .blob ? "b" : "q"
    }
}

extension RequestAuthorizer {
    /// The user delegation key with these fields.
    ///
    /// The server stores no keys: a key's value is derived from its signed fields, so the fields a
    /// user delegation SAS carries (`skoid`, `sktid`, `skt`, `ske`, `sks`, `skv`, `skdutid`) are
    /// enough to re-derive it and check the SAS. The value is
    /// `HMAC-SHA256(K, "udk\n" + oid + "\n" + tid + "\n" + start + "\n" + expiry + "\n" + service + "\n" + version + "\n" + delegatedTid)`
    /// with times as `YYYY-MM-DDTHH:MM:SSZ`, where `K = HMAC-SHA256(account key, label)` keeps
    /// these values apart from every signature made with the account key itself.
    func userDelegationKey(_ fields: UserDelegationKeyFields, accountKey: StorageAccountKey) -> UserDelegationKey {
        let derivationKey = StorageAccountKey(
            accountName: accountKey.accountName,
            base64Key: accountKey.signature(for: Self.userDelegationKeyLabel)
        )!  // A signature is always non-empty base64.
        let text = [
            "udk", fields.objectID, fields.tenantID, fields.start.iso8601(fractionDigits: 0),
            fields.expiry.iso8601(fractionDigits: 0), fields.service, fields.version,
            fields.delegatedUserTenantID ?? "",
        ].joined(separator: "\n")
        return UserDelegationKey(
            accountName: accountKey.accountName,
            signedObjectID: fields.objectID,
            signedTenantID: fields.tenantID,
            signedStart: fields.start.iso8601(fractionDigits: 0),
            signedExpiry: fields.expiry.iso8601(fractionDigits: 0),
            signedService: fields.service,
            signedVersion: fields.version,
            signedDelegatedUserTenantID: fields.delegatedUserTenantID,
            value: derivationKey.signature(for: text)
        )!  // As above: the value is a signature.
    }

    /// Separates user delegation key values from account key signatures.
    private static let userDelegationKeyLabel = "blobflow devstore user delegation key v1"

    /// Whether a user delegation key field can be one this server issued: no control characters
    /// (which would make the derivation text ambiguous), at most 256 bytes.
    static func isValidKeyField(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 256
            && !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// The user delegation key a user delegation SAS claims to be signed with, re-derived from its
    /// `sk*` fields, once the key is known to be valid now for `service`.
    ///
    /// User delegation SAS are accepted only in OAuth mode, the only mode that issues keys.
    func userDelegationKey(
        of sas: SharedAccessSignature,
        service: StorageService,
        accountKey: StorageAccountKey,
        now: StorageDate = .now()
    ) throws(StorageServiceError) -> UserDelegationKey {
        guard self.acceptsBearerTokens else {
            throw .authenticationFailed(
                "User delegation SAS is accepted only when the development server runs with --oauth (acceptBearerTokens)."
            )
        }
        guard let objectID = sas.signedObjectID, let tenantID = sas.signedTenantID, let startText = sas.signedKeyStart,
            let expiryText = sas.signedKeyExpiry, let keyService = sas.signedKeyService,
            let version = sas.signedKeyVersion,
            [objectID, tenantID, keyService, version].allSatisfy(Self.isValidKeyField)
        else {
            throw .authenticationFailed("A user delegation SAS needs skoid, sktid, skt, ske, sks and skv.")
        }
        guard let start = StorageDate(iso8601: startText), let expiry = StorageDate(iso8601: expiryText) else {
            throw .authenticationFailed("The user delegation key start (skt) or expiry (ske) is not a date.")
        }
        guard keyService == UserDelegationKeyFields.serviceLetter(service) else {
            throw .authenticationFailed("The user delegation key was issued for service '\(keyService)', not this one.")
        }
        guard start <= now else {
            throw .authenticationFailed("The user delegation key is not valid before \(startText).")
        }
        guard now < expiry else { throw .authenticationFailed("The user delegation key expired at \(expiryText).") }
        if let delegated = sas.signedDelegatedUserTenantID, !Self.isValidKeyField(delegated) {
            throw .authenticationFailed("The delegated user tenant (skdutid) is not valid.")
        }
        let fields = UserDelegationKeyFields(
            objectID: objectID,
            tenantID: tenantID,
            start: StorageDate(seconds: start.seconds),
            expiry: StorageDate(seconds: expiry.seconds),
            service: keyService,
            version: version,
            delegatedUserTenantID: sas.signedDelegatedUserTenantID
        )
        return self.userDelegationKey(fields, accountKey: accountKey)
    }
}
