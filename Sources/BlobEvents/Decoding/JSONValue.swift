/// A JSON value read without descending into arrays or objects.
///
/// The decoder only needs the event envelope and its `data` object, so it reads those two levels
/// and leaves anything deeper unread: whatever an attacker nests inside an extra field costs no
/// recursion in Swift code.
enum JSONScalar: Decodable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    /// An array or an object, not read.
    case nested

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            self = .nested
        }
    }

    /// How a message names the type: "a string", "an object or array", ...
    var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .nested: "an array or object"
        }
    }
}

/// A member of an event envelope: a scalar, or an object whose members are read as scalars.
enum JSONField: Decodable, Hashable {
    case scalar(JSONScalar)
    case object([String: JSONScalar])
    /// An array, not read.
    case array

    init(from decoder: any Decoder) throws {
        let scalar = try JSONScalar(from: decoder)
        guard scalar == .nested else {
            self = .scalar(scalar)
            return
        }
        let container = try decoder.singleValueContainer()
        if let object = try? container.decode([String: JSONScalar].self) {
            self = .object(object)
        } else {
            self = .array
        }
    }

    var typeDescription: String {
        switch self {
        case .scalar(let scalar): scalar.typeDescription
        case .object: "an object"
        case .array: "an array"
        }
    }
}

/// A whole message body: an object (one event), an array, or something else.
enum JSONDocument: Decodable {
    case object([String: JSONField])
    case array([JSONElement])
    case other(JSONScalar)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let object = try? container.decode([String: JSONField].self) {
            self = .object(object)
        } else if let array = try? container.decode([JSONElement].self) {
            self = .array(array)
        } else {
            self = .other(try container.decode(JSONScalar.self))
        }
    }
}

/// An element of a top-level array: an event object, or something else.
enum JSONElement: Decodable {
    case object([String: JSONField])
    case other(JSONScalar)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let object = try? container.decode([String: JSONField].self) {
            self = .object(object)
        } else {
            self = .other(try container.decode(JSONScalar.self))
        }
    }
}
