import Foundation
import StorageCore

/// The one JSON form of every file in the checkpoint folder: sorted keys and indentation so files
/// read well and diff cleanly, and dates as ISO 8601 UTC with milliseconds.
enum CheckpointJSON {
    static func encode(_ value: some Encodable, path: String) throws(CheckpointError) -> [UInt8] {
        try Self.encodeWithFoundation(value, path: path)
    }

    /// A claim, through the writer of its own that the two files every event writes have (see
    /// ``CheckpointJSONWriter``).
    static func encode(_ file: ClaimFile, path: String) throws(CheckpointError) -> [UInt8] {
        do {
            return try CheckpointJSONWriter.encode(file)
        } catch {
            throw .encoding(path: path, reason: "\(error.field) is not a finite number")
        }
    }

    /// A record, through ``CheckpointJSONWriter``.
    static func encode(_ record: CheckpointRecord, path: String) throws(CheckpointError) -> [UInt8] {
        do {
            return try CheckpointJSONWriter.encode(record)
        } catch {
            throw .encoding(path: path, reason: "\(error.field) is not a finite number")
        }
    }

    /// `JSONEncoder`'s text of `value`, in this form.
    static func encodeWithFoundation(_ value: some Encodable, path: String) throws(CheckpointError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatDate(date))
        }
        do {
            var bytes = Array(try encoder.encode(value))
            bytes.append(UInt8(ascii: "\n"))
            return bytes
        } catch {
            throw .encoding(path: path, reason: String(describing: error))
        }
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            if let seconds = try? container.decode(Double.self) {
                return Date(timeIntervalSince1970: seconds).roundedToMilliseconds
            }
            let text = try container.decode(String.self)
            guard let date = parseDate(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 date: \(text)")
            }
            return date
        }
        return try decoder.decode(type, from: Data(bytes))
    }

    /// `2026-11-21T13:42:24.123Z`.
    static func formatDate(_ date: Date) -> String {
        // Whole milliseconds first: the fraction of a Double this far from 1970 is not exact.
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let ticks = (milliseconds - seconds * 1000) * 10_000
        return StorageDate(seconds: seconds, ticks: Int32(ticks)).iso8601(fractionDigits: 3)
    }

    static func parseDate(_ text: String) -> Date? {
        StorageDate(iso8601: text).map { Date(timeIntervalSince1970: $0.timeIntervalSince1970).roundedToMilliseconds }
    }
}

extension Date {
    /// This date rounded to the millisecond, the precision files keep, so that a value equals
    /// itself read back.
    var roundedToMilliseconds: Date {
        Date(timeIntervalSince1970: (self.timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}

/// Just the schema version of a file, read when the full decoding fails, to tell a file from a
/// newer blobflow (left alone) from a damaged one (moved aside).
struct SchemaProbe: Decodable {
    var schemaVersion: Int?
}
