import BlobEvents
import Foundation
import StorageCore

/// One event from an Event Grid dead-letter blob, ready to be enqueued as Event Grid would have
/// delivered it.
struct EventGridDeadLetter: Sendable {
    /// The event's `id`, when it has one.
    let eventID: String?
    /// Event Grid's `deadLetterReason`, when given.
    let deadLetterReason: String?
    /// The blob the event is about, from its `subject`, when it names one.
    let subject: BlobEventSubject?
    /// When Event Grid gave up on the event: its `lastDeliveryAttemptTime`, else `publishTime`.
    let deadLetteredAt: Date?
    /// The event object alone, as JSON (Event Grid's extra dead-letter members included; the
    /// decoder ignores them).
    let eventJSON: [UInt8]

    /// The queue message: base64 of a JSON array holding just this event.
    var messageText: String {
        Base64.encode(Self.blobBytes([self]))
    }

    /// Reads a dead-letter blob: a JSON array of event objects (a single object is accepted too).
    static func parse(_ bytes: [UInt8]) throws -> [EventGridDeadLetter] {
        let document = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        let elements: [Any]
        if let array = document as? [Any] {
            elements = array
        } else if document is [String: Any] {
            elements = [document]
        } else {
            throw EventGridDeadLetterFormatError(message: "the blob is not a JSON array of events")
        }
        return try elements.enumerated().map { index, element in
            guard let event = element as? [String: Any] else {
                throw EventGridDeadLetterFormatError(message: "element \(index) of the blob is not an event object")
            }
            let json = try JSONSerialization.data(
                withJSONObject: event,
                options: [.sortedKeys, .withoutEscapingSlashes]
            )
            let time = (event["lastDeliveryAttemptTime"] as? String) ?? (event["publishTime"] as? String)
            return EventGridDeadLetter(
                eventID: event["id"] as? String,
                deadLetterReason: event["deadLetterReason"] as? String,
                subject: (event["subject"] as? String).flatMap(BlobEventSubject.init(parsing:)),
                deadLetteredAt: time.flatMap { StorageDate(iso8601: $0) }.map {
                    Date(timeIntervalSince1970: $0.timeIntervalSince1970)
                },
                eventJSON: Array(json)
            )
        }
    }

    /// A dead-letter blob holding `events`, in Event Grid's layout (a JSON array).
    static func blobBytes(_ events: [EventGridDeadLetter]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, event) in events.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += event.eventJSON
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }

    /// The distinct reasons, in order of first appearance.
    static func reasons(_ events: [EventGridDeadLetter]) -> [String] {
        var seen: Set<String> = []
        return events.compactMap(\.deadLetterReason).filter { seen.insert($0).inserted }
    }
}

/// A dead-letter blob that is not what Event Grid writes.
struct EventGridDeadLetterFormatError: Error, CustomStringConvertible {
    let message: String
    var description: String { self.message }
}
