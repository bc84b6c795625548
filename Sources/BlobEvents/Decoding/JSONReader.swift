/// Reads a queue message's JSON into a ``JSONDocument`` in one pass over its bytes.
///
/// It reads what the decoder looks at (the envelope's members, and the members of objects inside
/// it as scalars) and only checks the syntax of anything deeper. It accepts exactly RFC 8259
/// JSON (one value with optional whitespace around it, strings with valid escapes and no raw
/// control characters, numbers in JSON's grammar) plus one trailing comma before a closing
/// bracket. That is what Foundation's `JSONDecoder` accepted, which it replaces here (it cost a
/// tenth of the consumer's CPU per event); like it, it keeps the first of duplicate member names,
/// reads a number as an integer when its value is a whole number that fits in 64 bits (`100`,
/// `1.0`, `1e2`), and refuses a number too large for a `Double`.
///
/// Nesting is limited by ``MessageBody/maximumDepth`` before this runs, so the recursion over
/// unread values is bounded.
struct JSONReader {
    /// Why the text is not JSON: the byte offset where reading stopped.
    struct SyntaxError: Error {
        var offset: Int
    }

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The document `bytes` hold; throws when they are not exactly one JSON value.
    static func document(_ bytes: [UInt8]) throws(SyntaxError) -> JSONDocument {
        var reader = JSONReader(bytes)
        reader.skipWhitespace()
        let document: JSONDocument
        switch reader.peek() {
        case UInt8(ascii: "{"): document = .object(try reader.fields())
        case UInt8(ascii: "["): document = .array(try reader.elements())
        default: document = .other(try reader.scalar())
        }
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw SyntaxError(offset: reader.index) }
        return document
    }

    // MARK: The levels the decoder reads

    /// An object whose members are scalars, objects of scalars, or (unread) arrays.
    private mutating func fields() throws(SyntaxError) -> [String: JSONField] {
        var result: [String: JSONField] = [:]
        try self.members { (reader: inout JSONReader, name: String) throws(SyntaxError) in
            let value: JSONField
            switch reader.peek() {
            case UInt8(ascii: "{"): value = .object(try reader.scalarMembers())
            case UInt8(ascii: "["):
                try reader.skipValue()
                value = .array
            default: value = .scalar(try reader.scalar())
            }
            if result[name] == nil { result[name] = value }
        }
        return result
    }

    /// An object whose members are read as scalars (arrays and objects as ``JSONScalar/nested``).
    private mutating func scalarMembers() throws(SyntaxError) -> [String: JSONScalar] {
        var result: [String: JSONScalar] = [:]
        try self.members { (reader: inout JSONReader, name: String) throws(SyntaxError) in
            let value = try reader.scalar()
            if result[name] == nil { result[name] = value }
        }
        return result
    }

    /// A top-level array: objects read as envelopes, anything else as a scalar.
    private mutating func elements() throws(SyntaxError) -> [JSONElement] {
        var result: [JSONElement] = []
        try self.items { (reader: inout JSONReader) throws(SyntaxError) in
            if reader.peek() == UInt8(ascii: "{") {
                result.append(.object(try reader.fields()))
            } else {
                result.append(.other(try reader.scalar()))
            }
        }
        return result
    }

    /// A value read as a scalar; an array or object is checked and skipped.
    private mutating func scalar() throws(SyntaxError) -> JSONScalar {
        self.skipWhitespace()
        switch self.peek() {
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try self.skipValue()
            return .nested
        case UInt8(ascii: "t"):
            try self.literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.literal("null")
            return .null
        default:
            return try self.number()
        }
    }

    // MARK: Structure

    /// Reads `{ "name": value, ... }`, calling `body` positioned at each value.
    private mutating func members(
        _ body: (inout JSONReader, String) throws(SyntaxError) -> Void
    ) throws(SyntaxError) {
        try self.sequence(open: UInt8(ascii: "{"), close: UInt8(ascii: "}")) {
            (reader: inout JSONReader) throws(SyntaxError) in
            guard reader.peek() == UInt8(ascii: "\"") else { throw SyntaxError(offset: reader.index) }
            let name = try reader.string()
            reader.skipWhitespace()
            try reader.expect(UInt8(ascii: ":"))
            reader.skipWhitespace()
            try body(&reader, name)
        }
    }

    /// Reads `[ value, ... ]`, calling `body` positioned at each value.
    private mutating func items(_ body: (inout JSONReader) throws(SyntaxError) -> Void) throws(SyntaxError) {
        try self.sequence(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), body)
    }

    /// Reads `open element, element, ... close` (one trailing comma allowed), calling `element`
    /// positioned at each element.
    private mutating func sequence(
        open: UInt8,
        close: UInt8,
        _ element: (inout JSONReader) throws(SyntaxError) -> Void
    ) throws(SyntaxError) {
        try self.expect(open)
        self.skipWhitespace()
        if self.peek() == close {
            self.index += 1
            return
        }
        while true {
            self.skipWhitespace()
            try element(&self)
            self.skipWhitespace()
            if self.peek() == UInt8(ascii: ",") {
                self.index += 1
                self.skipWhitespace()
                guard self.peek() == close else { continue }
            }
            try self.expect(close)
            return
        }
    }

    /// Checks the syntax of one value of any kind and moves past it.
    private mutating func skipValue() throws(SyntaxError) {
        self.skipWhitespace()
        switch self.peek() {
        case UInt8(ascii: "{"):
            try self.members { (reader: inout JSONReader, _: String) throws(SyntaxError) in try reader.skipValue() }
        case UInt8(ascii: "["):
            try self.items { (reader: inout JSONReader) throws(SyntaxError) in try reader.skipValue() }
        default:
            _ = try self.scalar()
        }
    }

    // MARK: Tokens

    private mutating func string() throws(SyntaxError) -> String {
        try self.expect(UInt8(ascii: "\""))
        let start = self.index
        // Fast path: no escapes.
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
                self.index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw SyntaxError(offset: self.index) }
            self.index += 1
        }
        var utf8 = Array(self.bytes[start..<self.index])
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try self.escape(into: &utf8)
            case ..<0x20:
                throw SyntaxError(offset: self.index - 1)
            default:
                utf8.append(byte)
            }
        }
        throw SyntaxError(offset: self.index)
    }

    /// One escape after its backslash, appended as UTF-8.
    private mutating func escape(into utf8: inout [UInt8]) throws(SyntaxError) {
        guard self.index < self.bytes.count else { throw SyntaxError(offset: self.index) }
        let byte = self.bytes[self.index]
        self.index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var value = UInt32(try self.hex4())
            if (0xD800...0xDBFF).contains(value) {
                // A high surrogate must be followed by an escaped low one.
                guard self.index + 1 < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                    self.bytes[self.index + 1] == UInt8(ascii: "u")
                else { throw SyntaxError(offset: self.index) }
                self.index += 2
                let low = UInt32(try self.hex4())
                guard (0xDC00...0xDFFF).contains(low) else { throw SyntaxError(offset: self.index) }
                value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(value) {
                throw SyntaxError(offset: self.index)
            }
            guard let scalar = Unicode.Scalar(value) else { throw SyntaxError(offset: self.index) }
            utf8.append(contentsOf: String(Character(scalar)).utf8)
        default:
            throw SyntaxError(offset: self.index - 1)
        }
    }

    private mutating func hex4() throws(SyntaxError) -> UInt16 {
        guard self.index + 4 <= self.bytes.count else { throw SyntaxError(offset: self.index) }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw SyntaxError(offset: self.index)
            }
            value = value << 4 | UInt16(digit)
            self.index += 1
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() throws(SyntaxError) -> JSONScalar {
        let start = self.index
        var integral = true
        if self.peek() == UInt8(ascii: "-") { self.index += 1 }
        if self.peek() == UInt8(ascii: "0") {
            self.index += 1
        } else {
            guard self.digits() > 0 else { throw SyntaxError(offset: self.index) }
        }
        if self.peek() == UInt8(ascii: ".") {
            self.index += 1
            integral = false
            guard self.digits() > 0 else { throw SyntaxError(offset: self.index) }
        }
        if self.peek() == UInt8(ascii: "e") || self.peek() == UInt8(ascii: "E") {
            self.index += 1
            integral = false
            if self.peek() == UInt8(ascii: "+") || self.peek() == UInt8(ascii: "-") { self.index += 1 }
            guard self.digits() > 0 else { throw SyntaxError(offset: self.index) }
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        if integral, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else { throw SyntaxError(offset: start) }
        if value == value.rounded(), value >= -0x1p63, value < 0x1p63 { return .integer(Int64(value)) }
        return .number(value)
    }

    private mutating func digits() -> Int {
        let start = self.index
        while let byte = self.peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { self.index += 1 }
        return self.index - start
    }

    private mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let count = word.utf8CodeUnitCount
        guard self.index + count <= self.bytes.count else { throw SyntaxError(offset: self.index) }
        let matches = word.withUTF8Buffer { expected in
            self.bytes[self.index..<self.index + count].elementsEqual(expected)
        }
        guard matches else { throw SyntaxError(offset: self.index) }
        self.index += count
    }

    private mutating func expect(_ byte: UInt8) throws(SyntaxError) {
        guard self.peek() == byte else { throw SyntaxError(offset: self.index) }
        self.index += 1
    }

    private func peek() -> UInt8? {
        self.index < self.bytes.count ? self.bytes[self.index] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = self.peek(),
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t")
        {
            self.index += 1
        }
    }
}
