/// Entity tags (ETags) in the forms Azure Storage and Event Grid write them: quoted in `ETag`
/// headers and most events (`"0x8D..."`), bare in listings and some events (CopyBlob), and
/// possibly weak (`W/"..."`) in conditional headers.
public enum EntityTag {
    /// The quoted form of `text`, or nil when it is not a strong entity tag: empty, containing a
    /// quote or any character outside visible ASCII (which would also be unsafe in a header).
    public static func quoted(_ text: String) -> String? {
        var bytes = Substring(text).utf8[...]
        if Self.isQuoted(bytes) {
            bytes = bytes.dropFirst().dropLast()
        }
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") }) else {
            return nil
        }
        return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
    }

    /// `text` as an `If-Match` value: unchanged when it is already quoted or weak (starts with `"`
    /// or `W/"`), otherwise in quotes. Unlike ``quoted(_:)`` it never fails.
    public static func quotedIfBare(_ text: String) -> String {
        text.hasPrefix("\"") || text.hasPrefix("W/\"") ? text : "\"" + text + "\""
    }

    /// `text` without its surrounding quotes, if it has them; a `W/` prefix stays.
    public static func unquoted(_ text: String) -> String {
        let bytes = Substring(text).utf8[...]
        guard Self.isQuoted(bytes) else { return text }
        return String(Substring(bytes.dropFirst().dropLast()))
    }

    /// The opaque tag: `text` without a `W/` prefix and without its quotes. Two tags that match
    /// under weak comparison have the same opaque tag; it is also the bare form Event Grid writes.
    public static func opaque(_ text: String) -> String {
        let weak = text.hasPrefix("W/")
        return Self.unquoted(weak ? String(text.dropFirst(2)) : text)
    }

    private static func isQuoted(_ bytes: Substring.UTF8View.SubSequence) -> Bool {
        bytes.count >= 2 && bytes.first == UInt8(ascii: "\"") && bytes.last == UInt8(ascii: "\"")
    }
}
