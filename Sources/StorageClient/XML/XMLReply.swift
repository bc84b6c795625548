internal import StorageCore
internal import StorageXML

/// Field-level reading shared by the reply decoders: every failure names the element that
/// was wrong and the element it sits in.
enum XMLReply {
    /// Parses `body` and checks that its root element is `expected`.
    static func root(
        _ body: [UInt8],
        named expected: String,
        maxBytes: Int = XMLDocumentParser.defaultMaxBytes
    ) throws(StorageDecodingError) -> XMLElement {
        let root: XMLElement
        do {
            root = try XMLDocumentParser.parse(body, maxBytes: maxBytes)
        } catch {
            throw .xml(error, reading: "<\(expected)> reply")
        }
        guard root.name == expected else { throw .unexpectedRoot(root.name, expected: expected) }
        return root
    }

    /// The text of the required child `name`; empty text is allowed.
    static func text(_ name: String, in element: XMLElement) throws(StorageDecodingError) -> String {
        guard let child = element.child(name) else { throw .missingElement(name, in: element.name) }
        return child.text
    }

    /// The text of the required child `name`, which must not be empty.
    static func nonEmptyText(_ name: String, in element: XMLElement) throws(StorageDecodingError) -> String {
        let text = try Self.text(name, in: element)
        guard !text.isEmpty else { throw .emptyValue(name, in: element.name) }
        return text
    }

    /// The text of the optional child `name`, nil when it is absent or empty.
    static func optionalText(_ name: String, in element: XMLElement) -> String? {
        guard let text = element.childText(name), !text.isEmpty else { return nil }
        return text
    }

    /// The required child `name` as an RFC 1123 date.
    static func rfc1123Date(_ name: String, in element: XMLElement) throws(StorageDecodingError) -> StorageDate {
        let text = try Self.text(name, in: element)
        return try Self.parseRFC1123(text, name: name, in: element)
    }

    /// The optional child `name` as an RFC 1123 date: nil when absent or empty, an error when
    /// present but unreadable.
    static func optionalRFC1123Date(_ name: String, in element: XMLElement) throws(StorageDecodingError) -> StorageDate?
    {
        guard let text = Self.optionalText(name, in: element) else { return nil }
        return try Self.parseRFC1123(text, name: name, in: element)
    }

    /// The required child `name` as a non-negative decimal integer, digits only.
    static func count<Value: FixedWidthInteger>(
        _ name: String,
        in element: XMLElement,
        as type: Value.Type = Value.self
    ) throws(StorageDecodingError) -> Value {
        let text = try Self.text(name, in: element)
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let value = Value(text, radix: 10)
        else {
            throw .invalidValue(name, in: element.name, value: text, expected: "a non-negative integer")
        }
        return value
    }

    /// The text of a `<Name>` child, percent-decoded when it carries `Encoded="true"`.
    static func name(in element: XMLElement) throws(StorageDecodingError) -> String {
        guard let child = element.child("Name") else { throw .missingElement("Name", in: element.name) }
        var name = child.text
        if child.attributes["Encoded"]?.lowercased() == "true" {
            guard let decoded = PercentEncoding.decode(name) else {
                throw .invalidValue("Name", in: element.name, value: name, expected: "valid percent-encoded UTF-8")
            }
            name = decoded
        }
        guard !name.isEmpty else { throw .emptyValue("Name", in: element.name) }
        return name
    }

    private static func parseRFC1123(
        _ text: String,
        name: String,
        in element: XMLElement
    ) throws(StorageDecodingError) -> StorageDate {
        guard let date = StorageDate(rfc1123: text) else {
            throw .invalidValue(name, in: element.name, value: text, expected: "an RFC 1123 date")
        }
        return date
    }
}
