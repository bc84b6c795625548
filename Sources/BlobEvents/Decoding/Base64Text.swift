/// Tolerant standard-alphabet base64, as queue messages carry it: whitespace and line breaks
/// anywhere are ignored and the `=` padding may be missing.
enum Base64Text {
    /// Why text is not base64.
    struct Invalid: Error {
        /// Explains the first problem found, for a poison message.
        var explanation: String
    }

    /// Decodes `text`, or explains why it is not base64.
    static func decode(_ text: some StringProtocol) throws(Invalid) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count / 4 * 3 + 3)
        var accumulator: UInt32 = 0
        var pending = 0
        var padding = 0
        for (offset, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                continue
            case UInt8(ascii: "="):
                padding += 1
                guard padding <= 2 else { throw Invalid(explanation: "more than two '=' padding characters") }
                continue
            default:
                break
            }
            guard padding == 0 else {
                throw Invalid(explanation: "data continues after '=' padding at offset \(offset)")
            }
            guard let value = Self.value(of: byte) else {
                throw Invalid(
                    explanation:
                        "\(Excerpt.character(at: offset, in: text)) at offset \(offset) is outside the base64 alphabet"
                )
            }
            accumulator = accumulator << 6 | UInt32(value)
            pending += 1
            if pending == 4 {
                output.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                output.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                output.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator = 0
                pending = 0
            }
        }
        switch pending {
        case 0:
            guard padding == 0 else { throw Invalid(explanation: "'=' padding where none belongs") }
        case 1:
            throw Invalid(explanation: "its length leaves a single character over, which no bytes encode")
        case 2:
            output.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        default:
            output.append(UInt8(truncatingIfNeeded: accumulator >> 10))
            output.append(UInt8(truncatingIfNeeded: accumulator >> 2))
        }
        if pending + padding > 4 {
            throw Invalid(explanation: "the '=' padding does not match the length")
        }
        return output
    }

    private static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
