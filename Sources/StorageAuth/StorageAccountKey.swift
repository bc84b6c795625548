import Crypto
import Foundation
import StorageCore

/// A storage account's name and shared key, able to sign strings the way Azure Storage expects.
///
/// The key never appears in `description`, `debugDescription` or reflection: printing a value of
/// this type prints only the account name.
public struct StorageAccountKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The storage account name.
    public let accountName: String
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: self.keyBytes) }

    /// Creates a key from its base64 form; nil when the text is not base64.
    public init?(accountName: String, base64Key: String) {
        guard let bytes = Base64.decode(base64Key), !bytes.isEmpty else { return nil }
        self.accountName = accountName
        self.keyBytes = Array(bytes)
    }

    /// `base64(HMAC-SHA256(key, utf8(stringToSign)))`.
    public func signature(for stringToSign: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: self.key)
        return Base64.encode(Array(mac))
    }

    /// Whether `signature` is this key's signature of `stringToSign`, compared in constant time.
    public func isValidSignature(_ signature: String, for stringToSign: String) -> Bool {
        guard let provided = Base64.decode(signature) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(
            provided,
            authenticating: Data(stringToSign.utf8),
            using: self.key
        )
    }

    public var description: String { "StorageAccountKey(\(self.accountName), key: <redacted>)" }
    public var debugDescription: String { self.description }
    public var customMirror: Mirror { Mirror(self, children: ["accountName": self.accountName]) }
}
