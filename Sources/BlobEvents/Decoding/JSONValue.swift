/// A JSON value read without descending into arrays or objects.
///
/// The decoder only needs the event envelope and its `data` object, so ``JSONReader`` reads those
/// two levels and only checks the syntax of anything deeper: whatever an attacker nests inside an
/// extra field is never built into values.
enum JSONScalar: Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    /// An array or an object, not read.
    case nested

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
enum JSONField: Hashable {
    case scalar(JSONScalar)
    case object([String: JSONScalar])
    /// An array, not read.
    case array

    var typeDescription: String {
        switch self {
        case .scalar(let scalar): scalar.typeDescription
        case .object: "an object"
        case .array: "an array"
        }
    }
}

/// A whole message body: an object (one event), an array, or something else.
enum JSONDocument {
    case object([String: JSONField])
    case array([JSONElement])
    case other(JSONScalar)
}

/// An element of a top-level array: an event object, or something else.
enum JSONElement {
    case object([String: JSONField])
    case other(JSONScalar)
}
