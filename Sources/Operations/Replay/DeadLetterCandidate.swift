import BlobEvents
import Checkpoints
import Foundation
import StorageClient
import StorageCore

/// One poison-queue message with what can be learned about it: the event and blob from decoding
/// its text, the dead-letter record that explains it, and how long it has been dead.
struct DeadLetterCandidate: Sendable {
    let message: ReceivedQueueMessage
    let eventID: String?
    let container: String?
    let blobName: String?
    /// The blob version whose checkpoint a replay resets: from the decoded event, else from the record.
    let key: CheckpointKey?
    let record: DeadLetterRecord?
    let deadLetteredAt: Date
    let age: Duration

    init(_ message: ReceivedQueueMessage, inputFilter: InputFilter, records: DeadLetterIndex, now: Date) {
        self.message = message
        var eventID: String?
        var container: String?
        var blobName: String?
        var key: CheckpointKey?
        switch MessageDecoder.decode(message.text, filter: inputFilter) {
        case .work(let item):
            eventID = item.eventID
            container = item.container
            blobName = item.blobName
            key = CheckpointKey(
                account: item.accountName,
                container: item.container,
                blobName: item.blobName,
                eTag: item.eTag
            )
        case .skip(_, let skippedEventID, let blob):
            // Readable, but not work under today's filter (the configuration may have changed):
            // it is replayed all the same, and the consumer decides again.
            eventID = skippedEventID
            if let blob, let slash = blob.firstIndex(of: "/") {
                container = String(blob[..<slash])
                blobName = String(blob[blob.index(after: slash)...])
            }
        case .poison:
            break
        }
        let record = records.record(for: key, text: message.text)
        self.record = record
        self.key = key ?? record?.key
        self.eventID = eventID ?? record?.eventID
        self.container = container ?? record?.key?.container
        self.blobName = blobName ?? record?.key?.blobName
        self.deadLetteredAt = Date(timeIntervalSince1970: message.insertionTime.timeIntervalSince1970)
        self.age = AgeFormat.age(of: self.deadLetteredAt, now: now)
    }

    /// `container/name`, when known.
    var blob: String? {
        guard let container, let blobName else { return nil }
        return container + "/" + blobName
    }

    /// A report row with `action`.
    func row(_ action: ReplayReport.Action, note: String? = nil) -> ReplayReport.Row {
        ReplayReport.Row(
            messageID: self.message.messageID,
            eventID: self.eventID,
            blob: self.blob,
            reason: self.record?.reason.rawValue,
            attempts: self.record?.attempts,
            deadLetteredAt: self.deadLetteredAt,
            age: self.age,
            action: action,
            note: note
        )
    }
}
