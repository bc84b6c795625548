/// One element of a parsed XML document: its name, attributes, child elements and the text
/// directly inside it.
///
/// Azure Storage's XML bodies are small and regular (message lists, block lists, enumeration
/// results), so a plain value tree is both the simplest and a fast enough representation.
public struct XMLElement: Sendable, Hashable {
    /// The element's local name, without any namespace prefix.
    public var name: String
    /// Attributes by local name.
    public var attributes: [String: String]
    /// Child elements in document order.
    public var children: [XMLElement]
    /// The concatenated text and CDATA directly inside this element (not inside its children).
    public var text: String

    /// Creates an element.
    public init(name: String, attributes: [String: String] = [:], children: [XMLElement] = [], text: String = "") {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// The first child element with the given name.
    public func child(_ name: String) -> XMLElement? {
        self.children.first { $0.name == name }
    }

    /// Every child element with the given name, in document order.
    public func children(named name: String) -> [XMLElement] {
        self.children.filter { $0.name == name }
    }

    /// The text of the first child element with the given name.
    public func childText(_ name: String) -> String? {
        self.child(name)?.text
    }
}
