import Checkpoints

/// The dead-letter records read once at the start of a replay, found by blob version or, for a
/// message without one, by its exact text.
struct DeadLetterIndex: Sendable {
    private var byKey: [CheckpointKey: DeadLetterRecord] = [:]
    private var byText: [String: DeadLetterRecord] = [:]

    init(_ records: [DeadLetterRecord]) {
        // Oldest first, so the newest record wins where two share a key or a text.
        for record in records {
            if let key = record.key { self.byKey[key] = record }
            self.byText[record.messageText] = record
        }
    }

    /// The record for a blob version, else the record of the message with exactly this text.
    func record(for key: CheckpointKey?, text: String) -> DeadLetterRecord? {
        if let key, let record = self.byKey[key] { return record }
        return self.byText[text]
    }
}
