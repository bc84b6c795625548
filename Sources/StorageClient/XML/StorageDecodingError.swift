internal import StorageXML

/// Why a reply body from Azure Storage could not be decoded.
///
/// The message names the element or field that was wrong. It quotes at most a short, sanitised
/// excerpt of the offending value, never the body itself, so it is safe to log.
public struct StorageDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; internal so tests can tell kinds apart without parsing messages.
    enum Code: Hashable, Sendable {
        case malformedXML
        case forbiddenXML
        case tooLarge
        case tooDeep
        case unexpectedRoot
        case missingElement
        case invalidValue
        case unexpectedCount
    }

    let code: Code
    /// A human-readable explanation naming the element or field that was wrong.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A readable description of the failure; the same as ``message``.
    public var description: String { self.message }
}

// MARK: - Constructors used by the decoders

extension StorageDecodingError {
    /// Longest excerpt of a value or name quoted in a message.
    static let excerptLimit = 40

    /// The XML parser refused the body.
    static func xml(_ error: XMLParseError, reading what: String) -> Self {
        let code: Code =
            switch error {
            case .forbiddenConstruct(""): .forbiddenXML
            case .tooLarge(limit: 0): .tooLarge
            case .tooDeep(limit: 0): .tooDeep
            default: .malformedXML
            }
        return Self(code, "\(what): \(Self.excerpt(error.message, limit: 120))")
    }

    /// The root element is not the one the operation replies with.
    static func unexpectedRoot(_ found: String, expected: String) -> Self {
        Self(.unexpectedRoot, "expected root element <\(expected)>, found <\(Self.excerpt(found))>")
    }

    /// A required element is absent.
    static func missingElement(_ name: String, in parent: String) -> Self {
        Self(.missingElement, "missing <\(name)> in <\(parent)>")
    }

    /// An element is present but its text is not what it must be.
    static func invalidValue(_ name: String, in parent: String, value: String, expected: String) -> Self {
        Self(.invalidValue, "<\(name)> in <\(parent)> is not \(expected): \"\(Self.excerpt(value))\"")
    }

    /// A required element is present but empty.
    static func emptyValue(_ name: String, in parent: String) -> Self {
        Self(.invalidValue, "<\(name)> in <\(parent)> is empty")
    }

    /// An element occurs a different number of times than the operation allows.
    static func unexpectedCount(_ name: String, in parent: String, count: Int, expected: Int) -> Self {
        Self(.unexpectedCount, "expected \(expected) <\(name)> in <\(parent)>, found \(count)")
    }

    /// At most `limit` characters of `text`, with control characters made visible.
    static func excerpt(_ text: String, limit: Int = excerptLimit) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                out += "…"
                break
            }
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }
}
