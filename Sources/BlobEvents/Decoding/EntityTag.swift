/// ETag normalisation: Event Grid writes blob ETags quoted (`"0x8D..."`) in most events and bare in
/// some (CopyBlob); HTTP's `If-Match` needs the quoted form.
enum EntityTag {
    /// The quoted form of `text`, or nil when it is not a strong entity tag: empty, containing a
    /// quote or any character outside visible ASCII (which would also be unsafe in a header).
    static func quoted(_ text: String) -> String? {
        var bytes = Substring(text).utf8[...]
        if bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") {
            bytes = bytes.dropFirst().dropLast()
        }
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") }) else {
            return nil
        }
        return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
    }

    /// `text` without its surrounding quotes, if it has them.
    static func unquoted(_ text: String) -> String {
        guard text.utf8.count >= 2, text.utf8.first == UInt8(ascii: "\""), text.utf8.last == UInt8(ascii: "\"") else {
            return text
        }
        return String(text.dropFirst().dropLast())
    }
}
