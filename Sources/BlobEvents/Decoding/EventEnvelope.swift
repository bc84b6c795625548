/// The schema-independent envelope of one event: what both Event Grid and CloudEvents 1.0 carry,
/// under their own names.
struct EventEnvelope {
    var schema: EventSchema
    var eventType: String
    var id: String
    var subject: String
    /// `""` when a CloudEvent left out its optional `time`.
    var time: String
    /// The envelope's members, for reading `data` once the event type is known.
    var reader: FieldReader

    /// Reads an envelope, telling the schema by the members present: `specversion` (or `type`
    /// without `eventType`) means CloudEvents, `eventType` means Event Grid. Extra members and a
    /// missing `topic`/`source`, `dataVersion` or `metadataVersion` are fine.
    init(_ fields: [String: JSONField]) throws(PoisonReason) {
        let reader = FieldReader(fields)
        self.reader = reader
        if reader.contains("specversion") || (reader.contains("type") && !reader.contains("eventType")) {
            if let version = try reader.optionalString("specversion"), version != "1.0" {
                throw PoisonReason(
                    code: "unsupported-schema",
                    message:
                        "the event is CloudEvents \(Excerpt.quote(version, limit: 20)); only CloudEvents 1.0 is supported"
                )
            }
            self.schema = .cloudEvents
            self.eventType = try reader.string("type")
            self.time = try reader.optionalString("time") ?? ""
        } else if reader.contains("eventType") {
            self.schema = .eventGrid
            self.eventType = try reader.string("eventType")
            self.time = try reader.optionalString("eventTime") ?? ""
        } else {
            throw PoisonReason(
                code: "missing-field",
                message:
                    "the JSON object has neither \"eventType\" (Event Grid schema) nor \"type\" and \"specversion\" (CloudEvents 1.0)"
            )
        }
        self.id = try reader.string("id")
        guard !self.id.isEmpty else {
            throw PoisonReason(code: "missing-field", message: "the event's \"id\" is empty")
        }
        self.subject = try reader.string("subject")
    }
}
