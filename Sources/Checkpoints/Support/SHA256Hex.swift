import Crypto
import Foundation

/// Lowercase hex SHA-256 digests, used as file names.
enum SHA256Hex {
    static func of(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).hexString
    }
}

extension Sequence<UInt8> {
    /// Lowercase hexadecimal digits, two per byte.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
