/// The delivery schema an Event Grid subscription uses, named as Azure names it in
/// `eventDeliverySchema`.
public enum EventSchema: String, Sendable, Hashable, Codable, CaseIterable {
    /// Event Grid's own schema: `eventType`, `eventTime`, `topic`, `dataVersion`, `metadataVersion`.
    case eventGrid = "EventGridSchema"
    /// CloudEvents 1.0: `specversion`, `type`, `time`, `source`.
    case cloudEvents = "CloudEventSchemaV1_0"
}
