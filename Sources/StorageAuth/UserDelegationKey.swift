import Crypto
import Foundation
import StorageCore

/// A user delegation key, as returned by the Blob service's Get User Delegation Key operation, for
/// signing user delegation shared access signatures.
///
/// The signed fields are kept as the exact strings the service returned: they are copied into the
/// SAS and signed byte for byte, so reformatting a date would break the signature. The key itself
/// never appears in `description`, `debugDescription` or reflection.
public struct UserDelegationKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The storage account that issued the key; it names the signed resources.
    public let accountName: String
    /// `SignedOid` (`skoid`): the object ID of the Microsoft Entra principal that requested the key.
    public let signedObjectID: String
    /// `SignedTid` (`sktid`): the principal's tenant.
    public let signedTenantID: String
    /// `SignedStart` (`skt`): when the key becomes valid, ISO 8601.
    public let signedStart: String
    /// `SignedExpiry` (`ske`): when the key expires, ISO 8601.
    public let signedExpiry: String
    /// `SignedService` (`sks`): the service that accepts the key, `b` for Blob.
    public let signedService: String
    /// `SignedVersion` (`skv`): the service version that issued the key.
    public let signedVersion: String
    /// `SignedDelegatedUserTid` (`skdutid`): the delegated user's tenant, present only when the key
    /// was requested for one (version 2025-07-05 and later).
    public let signedDelegatedUserTenantID: String?
    /// `Value`: the key itself, base64.
    public let value: String
    private let keyBytes: [UInt8]

    /// Creates a key from the fields of a Get User Delegation Key response; nil when `value` is
    /// not base64.
    public init?(
        accountName: String,
        signedObjectID: String,
        signedTenantID: String,
        signedStart: String,
        signedExpiry: String,
        signedService: String,
        signedVersion: String,
        signedDelegatedUserTenantID: String? = nil,
        value: String
    ) {
        guard let bytes = Base64.decode(value), !bytes.isEmpty else { return nil }
        self.accountName = accountName
        self.signedObjectID = signedObjectID
        self.signedTenantID = signedTenantID
        self.signedStart = signedStart
        self.signedExpiry = signedExpiry
        self.signedService = signedService
        self.signedVersion = signedVersion
        self.signedDelegatedUserTenantID = signedDelegatedUserTenantID
        self.value = value
        self.keyBytes = Array(bytes)
    }

    /// `base64(HMAC-SHA256(base64decode(value), utf8(stringToSign)))`.
    public func signature(for stringToSign: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data(stringToSign.utf8),
            using: SymmetricKey(data: self.keyBytes)
        )
        return Base64.encode(Array(mac))
    }

    /// Whether `signature` is this key's signature of `stringToSign`, compared in constant time.
    public func isValidSignature(_ signature: String, for stringToSign: String) -> Bool {
        guard let provided = Base64.decode(signature) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(
            provided,
            authenticating: Data(stringToSign.utf8),
            using: SymmetricKey(data: self.keyBytes)
        )
    }

    public var description: String {
        "UserDelegationKey(\(self.accountName), oid: \(self.signedObjectID), expiry: \(self.signedExpiry), value: <redacted>)"
    }
    public var debugDescription: String { self.description }
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "accountName": self.accountName, "signedObjectID": self.signedObjectID,
                "signedTenantID": self.signedTenantID, "signedStart": self.signedStart,
                "signedExpiry": self.signedExpiry, "signedService": self.signedService,
                "signedVersion": self.signedVersion,
                "signedDelegatedUserTenantID": self.signedDelegatedUserTenantID as Any,
            ]
        )
    }
}
