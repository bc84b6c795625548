import Foundation

/// Writes the two files every event writes, its claim and its record, in ``CheckpointJSON``'s
/// form (sorted keys, two-space indentation, dates as ISO 8601 with milliseconds) without going
/// through `JSONEncoder`: encoding them through Codable was a tenth of the consumer's CPU per
/// event. Reading them back is still `JSONDecoder`'s job, and a test checks that each field
/// round-trips and that the text means the same as `JSONEncoder`'s.
struct CheckpointJSONWriter {
    private(set) var bytes: [UInt8] = []

    /// A non-finite number, which JSON cannot hold.
    struct NotANumber: Error {
        var field: String
    }

    static func encode(_ file: ClaimFile) throws(NotANumber) -> [UInt8] {
        var writer = CheckpointJSONWriter()
        try writer.claim(file)
        writer.bytes.append(UInt8(ascii: "\n"))
        return writer.bytes
    }

    static func encode(_ record: CheckpointRecord) throws(NotANumber) -> [UInt8] {
        var writer = CheckpointJSONWriter()
        try writer.record(record)
        writer.bytes.append(UInt8(ascii: "\n"))
        return writer.bytes
    }

    // MARK: The two documents, members in sorted order

    private mutating func claim(_ file: ClaimFile) throws(NotANumber) {
        self.beginObject()
        self.date("acquiredAt", file.acquiredAt)
        self.date("expiresAt", file.expiresAt)
        self.string("host", file.host)
        self.string("owner", file.owner)
        self.raw("pid", file.pid.description)
        self.key("record")
        try self.record(file.record)
        if let released = file.released { self.raw("released", released ? "true" : "false") }
        self.string("token", file.token)
        self.endObject()
    }

    private mutating func record(_ record: CheckpointRecord) throws(NotANumber) {
        self.beginObject()
        self.string("account", record.account)
        self.raw("attempts", record.attempts.description)
        self.string("blobName", record.blobName)
        self.string("container", record.container)
        if let reason = record.deadLetterReason { self.string("deadLetterReason", reason) }
        self.string("eTag", record.eTag)
        if let eventID = record.eventID { self.string("eventID", eventID) }
        self.date("firstSeen", record.firstSeen)
        if let lastError = record.lastError { self.string("lastError", lastError) }
        if let messageID = record.messageID { self.string("messageID", messageID) }
        self.key("outputs")
        self.beginArray()
        for output in record.outputs {
            self.element()
            self.beginObject()
            if let md5 = output.md5 { self.string("md5", md5) }
            self.string("name", output.name)
            self.raw("size", output.size.description)
            self.endObject()
        }
        self.endArray()
        self.raw("replays", record.replays.description)
        if let replicaID = record.replicaID { self.string("replicaID", replicaID) }
        self.raw("schemaVersion", record.schemaVersion.description)
        self.string("step", record.step.rawValue)
        self.key("timings")
        self.beginObject()
        for (name, seconds) in record.timings.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            guard seconds.isFinite else { throw NotANumber(field: "timings.\(name)") }
            self.raw(name, seconds.description)
        }
        self.endObject()
        self.date("updatedAt", record.updatedAt)
        self.endObject()
    }

    // MARK: Structure

    /// How many members or elements each open object or array has so far.
    private var counts: [Int] = []

    private mutating func beginObject() {
        self.bytes.append(UInt8(ascii: "{"))
        self.counts.append(0)
    }

    private mutating func endObject() {
        self.close(UInt8(ascii: "}"))
    }

    private mutating func beginArray() {
        self.bytes.append(UInt8(ascii: "["))
        self.counts.append(0)
    }

    private mutating func endArray() {
        self.close(UInt8(ascii: "]"))
    }

    private mutating func close(_ bracket: UInt8) {
        let count = self.counts.removeLast()
        if count > 0 { self.newline() }
        self.bytes.append(bracket)
    }

    /// Starts the next element of the innermost array or object: a comma after the first, then a
    /// new line at its depth.
    private mutating func element() {
        if self.counts[self.counts.count - 1] > 0 { self.bytes.append(UInt8(ascii: ",")) }
        self.counts[self.counts.count - 1] += 1
        self.newline()
    }

    private mutating func key(_ name: String) {
        self.element()
        self.quoted(name)
        self.bytes.append(contentsOf: " : ".utf8)
    }

    private mutating func string(_ name: String, _ value: String) {
        self.key(name)
        self.quoted(value)
    }

    private mutating func date(_ name: String, _ value: Date) {
        self.string(name, CheckpointJSON.formatDate(value))
    }

    private mutating func raw(_ name: String, _ text: String) {
        self.key(name)
        self.bytes.append(contentsOf: text.utf8)
    }

    private mutating func newline() {
        self.bytes.append(UInt8(ascii: "\n"))
        self.bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * self.counts.count))
    }

    /// A JSON string: quotes, backslashes and control characters escaped, `/` and non-ASCII kept.
    private mutating func quoted(_ text: String) {
        self.bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): self.bytes.append(contentsOf: #"\\"#.utf8)
            case 0x0A: self.bytes.append(contentsOf: #"\n"#.utf8)
            case 0x0D: self.bytes.append(contentsOf: #"\r"#.utf8)
            case 0x09: self.bytes.append(contentsOf: #"\t"#.utf8)
            case 0x08: self.bytes.append(contentsOf: #"\b"#.utf8)
            case 0x0C: self.bytes.append(contentsOf: #"\f"#.utf8)
            case ..<0x20:
                self.bytes.append(contentsOf: #"\u00"#.utf8)
                self.bytes.append(Self.hexDigits[Int(byte >> 4)])
                self.bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            default: self.bytes.append(byte)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
