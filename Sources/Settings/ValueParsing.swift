import Foundation

/// Parsers for the value forms configuration uses: durations, integers, resource names and
/// command lines. Each returns nil or a reason, never throws, so every problem can be collected.
enum ValueParsing {
    /// `90`, `90s`, `500ms`, `5m`, `2h`, `7d` (a bare number is seconds).
    static func duration(_ text: String) -> Duration? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            // "5ms" must not parse as "5m" + "s": only accept a plain number before the suffix.
            guard let value = Double(number), value >= 0, value.isFinite else { continue }
            return .milliseconds(Int64((value * scale * 1000).rounded()))
        }
        guard let value = Double(text), value >= 0, value.isFinite else { return nil }
        return .milliseconds(Int64((value * 1000).rounded()))
    }

    /// A container name as Azure accepts it: 3-63 characters, lower-case letters, digits and
    /// single hyphens, starting and ending with a letter or digit. Queue names follow the same rule.
    static func resourceNameProblem(_ name: String, kind: String) -> String? {
        let characters = Array(name.utf8)
        guard (3...63).contains(characters.count) else {
            return "'\(name)' is not a valid \(kind) name: it must be 3 to 63 characters long"
        }
        let allowed = characters.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
        guard allowed, characters.first != 45, characters.last != 45, !name.contains("--") else {
            return
                "'\(name)' is not a valid \(kind) name: use lower-case letters, digits and single hyphens, starting and ending with a letter or digit"
        }
        return nil
    }

    /// Splits a command line into arguments the way a POSIX shell splits words, without running a
    /// shell: whitespace separates, single quotes are literal, double quotes allow `\"` and `\\`,
    /// a backslash outside quotes escapes the next character. Returns nil on an unclosed quote.
    static func splitCommand(_ text: String) -> [String]? {
        var arguments: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == open {
                    quote = nil
                } else if open == "\"", character == "\\" {
                    escaped = true
                } else {
                    current.append(character)
                }
                continue
            }
            switch character {
            case " ", "\t", "\n":
                if inWord {
                    arguments.append(current)
                    current = ""
                    inWord = false
                }
            case "'", "\"":
                quote = character
                inWord = true
            case "\\":
                escaped = true
                inWord = true
            default:
                current.append(character)
                inWord = true
            }
        }
        guard quote == nil, !escaped else { return nil }
        if inWord { arguments.append(current) }
        return arguments
    }
}
