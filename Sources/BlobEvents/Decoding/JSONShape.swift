import Foundation

/// Bracket and string structure of JSON text, found without parsing it: tells a truncated message
/// from a malformed one, and refuses deep nesting before a parser recurses into it.
struct JSONShape {
    /// The deepest nesting of arrays and objects.
    var maximumDepth = 0
    /// Whether the text ends inside a string or with brackets still open.
    var isUnterminated = false

    init(scanning bytes: Data) {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                self.maximumDepth = max(self.maximumDepth, depth)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            default:
                break
            }
        }
        self.isUnterminated = inString || depth > 0
    }
}
