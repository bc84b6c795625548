/// Escaping for the XML that blobflow writes by hand.
public enum XMLEscaping {
    /// Escapes `&`, `<`, `>`, `"` and `'` so the text is safe both as element content and inside
    /// an attribute, and drops characters XML 1.0 cannot carry at all.
    public static func escape(_ text: String) -> String {
        var needsWork = false
        for scalar in text.unicodeScalars
        where scalar == "&" || scalar == "<" || scalar == ">" || scalar == "\""
            || scalar == "'" || (scalar.value < 0x20 && scalar != "\n" && scalar != "\r" && scalar != "\t")
        {
            needsWork = true
            break
        }
        guard needsWork else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&apos;".unicodeScalars)
            case "\n", "\r", "\t": out.append(scalar)
            default:
                if scalar.value >= 0x20 { out.append(scalar) }
            }
        }
        return String(out)
    }
}
