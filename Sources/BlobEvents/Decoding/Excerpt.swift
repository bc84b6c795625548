/// Short, printable quotations of untrusted input for poison and skip messages: at most
/// ``limit`` characters, control characters escaped, so one message stays one log line.
enum Excerpt {
    /// The most characters of input a message quotes.
    static let limit = 80

    /// `text` in double quotes, escaped, shortened with `…` once the escaped text would pass
    /// ``limit`` characters.
    static func quote(_ text: some StringProtocol, limit: Int = Excerpt.limit) -> String {
        var out = "\""
        var count = 0
        for scalar in text.unicodeScalars {
            let shown = Self.escaped(scalar)
            guard count + shown.unicodeScalars.count <= limit else {
                out += "…"
                break
            }
            out += shown
            count += shown.unicodeScalars.count
        }
        return out + "\""
    }

    /// `text` escaped like ``quote(_:limit:)`` but without the quotes, for values that make up a
    /// log line (blob names, event ids).
    static func inline(_ text: some StringProtocol, limit: Int) -> String {
        String(self.quote(text, limit: limit).dropFirst().dropLast())
    }

    /// The end of `text`, quoted and escaped like ``quote(_:limit:)``, with a leading `…` when shortened.
    static func quoteEnd(_ text: some StringProtocol, limit: Int = Excerpt.limit) -> String {
        var shown: [String] = []
        var count = 0
        var shortened = false
        for scalar in text.unicodeScalars.reversed() {
            let escaped = Self.escaped(scalar)
            guard count + escaped.unicodeScalars.count <= limit else {
                shortened = true
                break
            }
            shown.append(escaped)
            count += escaped.unicodeScalars.count
        }
        return "\"" + (shortened ? "…" : "") + shown.reversed().joined() + "\""
    }

    /// Up to 16 bytes in hex, for input that is not text.
    static func hex(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789ABCDEF")
        var shown = bytes.prefix(16).map { "\(digits[Int($0 >> 4)])\(digits[Int($0 & 0xF)])" }.joined(separator: " ")
        if bytes.count > 16 { shown += " …" }
        return shown
    }

    /// The character at a UTF-8 offset, described: `character "%"`, or `byte 0xC3` inside a multi-byte character.
    static func character(at offset: Int, in text: some StringProtocol) -> String {
        let utf8 = Array(text.utf8)
        guard offset < utf8.count else { return "end of text" }
        let byte = utf8[offset]
        if byte < 0x80 { return "character " + Self.quote(String(decoding: [byte], as: UTF8.self)) }
        return "byte 0x" + Self.hex([byte])
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\"": return "\\\""
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
                || scalar.properties.generalCategory == .format
                || scalar.properties.generalCategory == .lineSeparator
                || scalar.properties.generalCategory == .paragraphSeparator
            {
                return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
            return String(scalar)
        }
    }
}
