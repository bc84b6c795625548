/// Why an XML body could not be read.
public struct XMLParseError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case malformed
        case forbiddenConstruct
        case tooLarge
        case tooDeep
        case empty
    }

    private let code: Code
    /// A human-readable explanation, including libxml2's own message where it gave one.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The document is not well-formed XML (truncated, mismatched tags, bad encoding...).
    public static func malformed(_ detail: String) -> Self { .init(.malformed, "malformed XML: \(detail)") }
    /// The document uses a DTD, entity declarations or references, which are never accepted.
    public static func forbiddenConstruct(_ detail: String) -> Self {
        .init(.forbiddenConstruct, "XML construct not accepted: \(detail)")
    }
    /// The document is larger than the caller's limit.
    public static func tooLarge(limit: Int) -> Self { .init(.tooLarge, "XML body larger than \(limit) bytes") }
    /// The document nests deeper than the parser's limit.
    public static func tooDeep(limit: Int) -> Self { .init(.tooDeep, "XML nested deeper than \(limit) levels") }
    /// The body holds no root element.
    public static let empty = Self(.empty, "XML body is empty")

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.code) }

    public var description: String { self.message }
}
