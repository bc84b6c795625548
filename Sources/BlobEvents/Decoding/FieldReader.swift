/// Reads typed members of one JSON object, turning every absence or type mismatch into a
/// ``PoisonReason`` that names the member by its path (`id`, `data.contentLength`).
struct FieldReader {
    var fields: [String: JSONField]
    /// What precedes member names in messages: `""` for the envelope, `"data."` for its payload.
    var path: String

    init(_ fields: [String: JSONField], path: String = "") {
        self.fields = fields
        self.path = path
    }

    init(_ fields: [String: JSONScalar], path: String) {
        self.init(fields.mapValues { JSONField.scalar($0) }, path: path)
    }

    func contains(_ key: String) -> Bool {
        self.fields[key] != nil
    }

    /// A string member that must be present.
    func string(_ key: String) throws(PoisonReason) -> String {
        guard let value = try self.optionalString(key) else { throw self.missing(key) }
        return value
    }

    /// A string member that may be absent or null.
    func optionalString(_ key: String) throws(PoisonReason) -> String? {
        switch self.fields[key] {
        case nil, .scalar(.null): return nil
        case .scalar(.string(let value)): return value
        case let other?: throw self.wrongType(key, other, expected: "a string")
        }
    }

    /// An object member that must be present.
    func object(_ key: String) throws(PoisonReason) -> [String: JSONScalar] {
        switch self.fields[key] {
        case nil, .scalar(.null): throw self.missing(key)
        case .object(let value): return value
        case let other?: throw self.wrongType(key, other, expected: "an object")
        }
    }

    /// A byte count that must be present: a non-negative integer. A string of decimal digits is
    /// accepted too (some relays re-serialise numbers as strings); any other string is not.
    func byteCount(_ key: String) throws(PoisonReason) -> Int64 {
        guard let value = try self.optionalByteCount(key) else { throw self.missing(key) }
        return value
    }

    /// A byte count that may be absent or null.
    func optionalByteCount(_ key: String) throws(PoisonReason) -> Int64? {
        switch self.fields[key] {
        case nil, .scalar(.null):
            return nil
        case .scalar(.integer(let value)) where value >= 0:
            return value
        case .scalar(.string(let text)):
            guard !text.isEmpty, text.utf8.count <= 18,
                text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let value = Int64(text)
            else {
                throw PoisonReason(
                    code: "wrong-type",
                    message: "\"\(self.path)\(key)\" is the string \(Excerpt.quote(text)), not a number of bytes"
                )
            }
            return value
        case .scalar(.integer(let value)):
            throw PoisonReason(
                code: "wrong-type",
                message: "\"\(self.path)\(key)\" is \(value), a negative number of bytes"
            )
        case .scalar(.number(let value)):
            throw PoisonReason(
                code: "wrong-type",
                message: "\"\(self.path)\(key)\" is \(value), not a whole number of bytes"
            )
        case let other?:
            throw self.wrongType(key, other, expected: "a number")
        }
    }

    func missing(_ key: String) -> PoisonReason {
        PoisonReason(code: "missing-field", message: "the event has no \"\(self.path)\(key)\"")
    }

    private func wrongType(_ key: String, _ value: JSONField, expected: String) -> PoisonReason {
        var shown = ""
        switch value {
        case .scalar(.string(let text)): shown = " " + Excerpt.quote(text, limit: 40)
        case .scalar(.integer(let number)): shown = " \(number)"
        case .scalar(.bool(let flag)): shown = " \(flag)"
        default: break
        }
        return PoisonReason(
            code: "wrong-type",
            message: "\"\(self.path)\(key)\" is \(value.typeDescription)\(shown), not \(expected)"
        )
    }
}
