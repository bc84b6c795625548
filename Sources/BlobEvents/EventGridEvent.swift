/// An event in Event Grid's own schema (`EventGridSchema`).
public struct EventGridEvent<EventData: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    /// The source's resource path, for storage `/subscriptions/.../storageAccounts/NAME`.
    public var topic: String
    /// For blob events `/blobServices/default/containers/C/blobs/NAME`.
    public var subject: String
    /// For example `Microsoft.Storage.BlobCreated`.
    public var eventType: String
    /// A unique id; duplicates of one delivery share it.
    public var id: String
    /// The event payload.
    public var data: EventData
    /// The schema version of `data` (Azure writes an empty string for storage events).
    public var dataVersion: String
    /// The schema version of the envelope, `1`.
    public var metadataVersion: String
    /// When the event happened, ISO 8601 with seven fraction digits.
    public var eventTime: String

    /// Creates an event.
    public init(
        topic: String,
        subject: String,
        eventType: String,
        id: String,
        data: EventData,
        dataVersion: String = "",
        metadataVersion: String = "1",
        eventTime: String
    ) {
        self.topic = topic
        self.subject = subject
        self.eventType = eventType
        self.id = id
        self.data = data
        self.dataVersion = dataVersion
        self.metadataVersion = metadataVersion
        self.eventTime = eventTime
    }
}

/// An event in the CloudEvents 1.0 schema (`CloudEventSchemaV1_0`), as Event Grid delivers it.
public struct CloudEvent<EventData: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    /// Always `1.0`.
    public var specversion: String
    /// The event type, for example `Microsoft.Storage.BlobCreated`.
    public var type: String
    /// The source's resource path (Event Grid's `topic`).
    public var source: String
    /// For blob events `/blobServices/default/containers/C/blobs/NAME`.
    public var subject: String
    /// A unique id.
    public var id: String
    /// When the event happened.
    public var time: String
    /// The event payload.
    public var data: EventData

    /// Creates a CloudEvent.
    public init(type: String, source: String, subject: String, id: String, time: String, data: EventData) {
        self.specversion = "1.0"
        self.type = type
        self.source = source
        self.subject = subject
        self.id = id
        self.time = time
        self.data = data
    }
}
