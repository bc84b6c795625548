import Foundation

/// The JSON inside a queue message, whichever way Event Grid put it there: plain text (older
/// subscriptions) or base64 (today's default). Getting this wrong is the classic cause of messages
/// silently poisoned, so every failure says which encoding was tried and why it failed.
struct MessageBody {
    /// How the JSON was carried.
    enum Encoding: String {
        case plainText = "plain-text"
        case base64
    }

    /// The most bytes a queue message holds; anything longer did not come from a queue.
    static let maximumSize = 64 * 1024
    /// How deeply arrays and objects may nest; an event needs four levels.
    static let maximumDepth = 64

    var encoding: Encoding
    var json: Data

    /// Finds the JSON in `text`.
    init(text: String) throws(PoisonReason) {
        let size = text.utf8.count
        guard size <= Self.maximumSize else {
            throw PoisonReason(
                code: "too-large",
                message:
                    "the message is \(size) bytes, more than a queue message's 64 KiB, so it is not an Event Grid event"
            )
        }
        let trimmed = Self.trimmed(Substring(text))
        guard let first = trimmed.utf8.first else {
            throw PoisonReason(code: "not-json", message: "the message is empty or only whitespace")
        }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            self.encoding = .plainText
            self.json = Data(trimmed.utf8)
            return
        }
        let bytes: [UInt8]
        do {
            bytes = try Base64Text.decode(trimmed)
        } catch {
            throw PoisonReason(
                code: "not-json",
                message:
                    "the message is neither JSON (it does not start with '{' or '[') nor base64 (\(error.explanation)): "
                    + Excerpt.quote(trimmed)
            )
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw PoisonReason(
                code: "bad-base64",
                message:
                    "the message is base64 but its \(bytes.count) decoded bytes are not UTF-8 text, so not JSON (they start \(Excerpt.hex(bytes)))"
            )
        }
        let inner = Self.trimmed(Substring(decoded))
        guard let innerFirst = inner.utf8.first, innerFirst == UInt8(ascii: "{") || innerFirst == UInt8(ascii: "[")
        else {
            let twice =
                (try? Base64Text.decode(inner)).map { $0.first == UInt8(ascii: "{") || $0.first == UInt8(ascii: "[") }
                ?? false
            throw PoisonReason(
                code: "bad-base64",
                message: twice
                    ? "the message is base64-encoded twice: its base64 decodes to more base64 rather than to JSON"
                    : "the message is base64 but decodes to text that is not JSON: " + Excerpt.quote(inner)
            )
        }
        self.encoding = .base64
        self.json = Data(inner.utf8)
    }

    /// Parses the JSON, after checking that it is complete and not absurdly nested.
    func document() throws(PoisonReason) -> JSONDocument {
        let shape = JSONShape(scanning: self.json)
        let carried = self.encoding == .base64 ? " (after base64 decoding)" : ""
        guard shape.maximumDepth <= Self.maximumDepth else {
            throw PoisonReason(
                code: "too-deep",
                message:
                    "the JSON\(carried) nests arrays or objects \(shape.maximumDepth) levels deep; an event needs 4"
            )
        }
        do {
            return try JSONReader.document(Array(self.json))
        } catch {
            let text = String(decoding: self.json, as: UTF8.self)
            if shape.isUnterminated {
                throw PoisonReason(
                    code: "truncated",
                    message:
                        "the JSON\(carried) stops after \(self.json.count) bytes with a string, object or array still open; it ends "
                        + Excerpt.quoteEnd(text)
                )
            }
            throw PoisonReason(
                code: "not-json",
                message: "the message\(carried) starts like JSON but is not valid JSON: " + Excerpt.quote(text)
            )
        }
    }

    /// `text` without surrounding whitespace or a leading byte-order mark.
    private static func trimmed(_ text: Substring) -> Substring {
        var scalars = text.unicodeScalars
        while let first = scalars.first, first == "\u{FEFF}" || first.properties.isWhitespace {
            scalars = scalars.dropFirst()
        }
        while let last = scalars.last, last.properties.isWhitespace {
            scalars = scalars.dropLast()
        }
        return Substring(scalars)
    }
}
