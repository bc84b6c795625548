// This file talks to libxml2 and deliberately does not import Foundation: Debian's libxml2
// headers pull in ICU, which clashes with the ICU that Foundation carries.
internal import CLibXML2

/// Parses XML bodies into ``XMLElement`` trees with every dangerous feature of XML turned off.
///
/// Documents with a DOCTYPE, entity declarations or entity references are refused outright:
/// Azure Storage never sends them, and they are how entity-expansion and external-entity
/// attacks work. Network access is disabled and a size and depth limit applies.
public enum XMLDocumentParser {
    /// Default upper bound for a body handed to ``parse(_:maxBytes:maxDepth:)``.
    public static let defaultMaxBytes = 32 * 1024 * 1024
    /// Default nesting limit.
    public static let defaultMaxDepth = 64

    /// Parses a complete XML document and returns its root element.
    public static func parse(
        _ bytes: [UInt8],
        maxBytes: Int = defaultMaxBytes,
        maxDepth: Int = defaultMaxDepth
    ) throws(XMLParseError) -> XMLElement {
        guard bytes.count <= maxBytes else { throw .tooLarge(limit: maxBytes) }
        guard !bytes.isEmpty else { throw .empty }
        // Refuse DTDs before libxml2 sees them: no entity is ever declared, so none is expanded.
        if Self.contains(Array("<!DOCTYPE".utf8), in: bytes) || Self.contains(Array("<!ENTITY".utf8), in: bytes) {
            throw .forbiddenConstruct("DOCTYPE and ENTITY declarations are not accepted")
        }
        Self.initializeOnce
        let reader: xmlTextReaderPtr? = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                xmlReaderForMemory(chars, Int32(buffer.count), nil, nil, blobflow_xml_safe_options())
            }
        }
        guard let reader else { throw .malformed("libxml2 could not create a reader") }
        defer { xmlFreeTextReader(reader) }
        return try Self.read(reader, bytes: bytes, maxDepth: maxDepth)
    }

    /// Parses a document given as a string.
    public static func parse(_ string: String, maxBytes: Int = defaultMaxBytes) throws(XMLParseError) -> XMLElement {
        try Self.parse(Array(string.utf8), maxBytes: maxBytes)
    }

    private static func contains(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        let first = needle[0]
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    private static let initializeOnce: Void = {
        xmlInitParser()
        blobflow_xml_silence_errors()
    }()

    private static func read(
        _ reader: xmlTextReaderPtr,
        bytes: [UInt8],
        maxDepth: Int
    ) throws(XMLParseError) -> XMLElement {
        var stack: [XMLElement] = []
        var root: XMLElement?
        while true {
            let status = xmlTextReaderRead(reader)
            if status == 0 { break }
            if status < 0 { throw .malformed(Self.lastError(reader)) }
            let type = xmlTextReaderNodeType(reader)
            switch type {
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                guard root == nil else { throw .malformed("content after the root element") }
                guard stack.count < maxDepth else { throw .tooDeep(limit: maxDepth) }
                var element = XMLElement(name: Self.string(xmlTextReaderConstLocalName(reader)))
                if xmlTextReaderHasAttributes(reader) == 1 {
                    while xmlTextReaderMoveToNextAttribute(reader) == 1 {
                        element.attributes[Self.string(xmlTextReaderConstLocalName(reader))] =
                            Self.string(xmlTextReaderConstValue(reader))
                    }
                    xmlTextReaderMoveToElement(reader)
                }
                if xmlTextReaderIsEmptyElement(reader) == 1 {
                    Self.close(element, stack: &stack, root: &root)
                } else {
                    stack.append(element)
                }
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                guard let element = stack.popLast() else { throw .malformed("unbalanced end tag") }
                Self.close(element, stack: &stack, root: &root)
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
                Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue):
                if !stack.isEmpty {
                    stack[stack.count - 1].text += Self.string(xmlTextReaderConstValue(reader))
                }
            case Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue):
                throw .forbiddenConstruct("DOCTYPE declarations are not accepted")
            case Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue), Int32(XML_READER_TYPE_ENTITY.rawValue):
                throw .forbiddenConstruct("entity references are not accepted")
            default:
                break
            }
        }
        guard stack.isEmpty else { throw .malformed("document ends inside <\(stack.last!.name)>") }
        guard let root else { throw .empty }
        return root
    }

    private static func close(_ element: XMLElement, stack: inout [XMLElement], root: inout XMLElement?) {
        if stack.isEmpty {
            root = element
        } else {
            stack[stack.count - 1].children.append(element)
        }
    }

    private static func string(_ pointer: UnsafePointer<xmlChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer)
    }

    private static func lastError(_ reader: xmlTextReaderPtr) -> String {
        guard let error = xmlGetLastError(), let message = error.pointee.message else {
            return "parse error"
        }
        var text = String(cString: message)
        while text.last == "\n" { text.removeLast() }
        return "\(text) (line \(error.pointee.line))"
    }
}
