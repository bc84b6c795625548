import Foundation

/// A `.env` file: `NAME=value` lines, as Docker Compose and dotenv read them.
///
/// Accepted: blank lines, `#` comments, an optional `export ` prefix, values in single quotes
/// (taken literally), double quotes (with `\n`, `\t`, `\"` and `\\` escapes) or bare (trimmed,
/// with a ` #` comment removed). A line that is none of these is a problem reported with its
/// line number; the value itself is never echoed, since it may be a secret.
public struct EnvironmentFile: Sendable {
    /// The variables, in file order (a later line wins).
    public var values: [String: String]
    /// The path it was read from.
    public var path: String

    /// Reads and parses `path`.
    public init(contentsOf path: String) throws(SettingsError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SettingsError(["cannot read the environment file \(path): \(Self.reason(error))"])
        }
        try self.init(parsing: text, path: path)
    }

    /// Parses `text`; `path` names the file in messages.
    public init(parsing text: String, path: String) throws(SettingsError) {
        self.path = path
        self.values = [:]
        var problems: [String] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line.removeLast() }
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count).drop { $0 == " " } }
            guard let equals = line.firstIndex(of: "=") else {
                problems.append("\(path):\(index + 1): expected NAME=value")
                continue
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard Self.isValidName(name) else {
                problems.append("\(path):\(index + 1): '\(name)' is not a variable name (letters, digits and _)")
                continue
            }
            switch Self.parseValue(line[line.index(after: equals)...]) {
            case .success(let value):
                self.values[name] = value
            case .failure(let reason):
                problems.append("\(path):\(index + 1): \(name): \(reason)")
            }
        }
        if !problems.isEmpty { throw SettingsError(problems) }
    }

    private enum ValueError: Error, CustomStringConvertible {
        case unterminated(Character)
        case trailing
        var description: String {
            switch self {
            case .unterminated(let quote): "the \(quote) quote is never closed"
            case .trailing: "unexpected text after the closing quote"
            }
        }
    }

    private static func parseValue(_ raw: Substring) -> Result<String, ValueError> {
        let text = raw.drop { $0 == " " || $0 == "\t" }
        guard let first = text.first, first == "\"" || first == "'" else {
            var value = String(text)
            if let comment = value.range(of: " #") { value = String(value[..<comment.lowerBound]) }
            return .success(value.trimmingCharacters(in: .whitespaces))
        }
        var value = ""
        var index = text.index(after: text.startIndex)
        var closed = false
        while index < text.endIndex {
            let character = text[index]
            if character == first {
                closed = true
                index = text.index(after: index)
                break
            }
            if first == "\"", character == "\\", text.index(after: index) < text.endIndex {
                index = text.index(after: index)
                switch text[index] {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "r": value.append("\r")
                default: value.append(text[index])
                }
            } else {
                value.append(character)
            }
            index = text.index(after: index)
        }
        guard closed else { return .failure(.unterminated(first)) }
        let rest = text[index...].trimmingCharacters(in: .whitespaces)
        guard rest.isEmpty || rest.hasPrefix("#") else { return .failure(.trailing) }
        return .success(value)
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
        }
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}
