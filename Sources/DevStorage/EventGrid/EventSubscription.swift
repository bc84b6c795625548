/// One emulated Event Grid subscription: blobs committed in `container` (optionally filtered by
/// subject prefix and suffix) raise a `Microsoft.Storage.BlobCreated` event on `queue`.
public struct EventSubscription: Sendable, Hashable, Codable {
    /// The delivery schema.
    public enum Schema: String, Sendable, Hashable, Codable {
        case eventGrid = "EventGridSchema"
        case cloudEvents = "CloudEventSchemaV1_0"
    }

    /// How the JSON is put into the queue message.
    public enum Encoding: String, Sendable, Hashable, Codable {
        case base64
        case text
    }

    /// The account whose blobs are watched and whose queue receives the events.
    public var account: String
    /// The container watched.
    public var container: String
    /// Only blobs whose name starts with this raise events.
    public var prefix: String?
    /// Only blobs whose name ends with this raise events.
    public var suffix: String?
    /// The destination queue.
    public var queue: String
    public var schema: Schema
    public var encoding: Encoding
    /// Message time-to-live in seconds; -1 never expires.
    public var messageTTL: Int

    /// Creates a subscription.
    public init(
        account: String = DevStorageConfiguration.developmentAccountName,
        container: String,
        prefix: String? = nil,
        suffix: String? = nil,
        queue: String,
        schema: Schema = .eventGrid,
        encoding: Encoding = .base64,
        messageTTL: Int = -1
    ) {
        self.account = account
        self.container = container
        self.prefix = prefix
        self.suffix = suffix
        self.queue = queue
        self.schema = schema
        self.encoding = encoding
        self.messageTTL = messageTTL
    }

    /// The default subscription of `blobflow dev` and `blobflow devstore`.
    public static let `default` = EventSubscription(container: "input", queue: "blobflow-events")

    /// Parses `container=input,queue=events,schema=CloudEventSchemaV1_0,encoding=text,prefix=a/,suffix=.csv,ttl=-1,account=NAME`.
    public init(parsing text: String) throws(DevStorageConfigurationError) {
        var fields: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else {
                throw DevStorageConfigurationError("subscription part '\(pair)' is not KEY=VALUE")
            }
            fields[String(parts[0]).trimmingSpaces().lowercased()] = String(parts[1])
        }
        guard let container = fields.removeValue(forKey: "container"), let queue = fields.removeValue(forKey: "queue")
        else {
            throw DevStorageConfigurationError("subscription '\(text)' needs container=NAME and queue=NAME")
        }
        self.init(container: container, queue: queue)
        if let account = fields.removeValue(forKey: "account") { self.account = account }
        self.prefix = fields.removeValue(forKey: "prefix")
        self.suffix = fields.removeValue(forKey: "suffix")
        if let schema = fields.removeValue(forKey: "schema") {
            guard let value = Schema(rawValue: schema) else {
                throw DevStorageConfigurationError(
                    "subscription schema '\(schema)' is not EventGridSchema or CloudEventSchemaV1_0"
                )
            }
            self.schema = value
        }
        if let encoding = fields.removeValue(forKey: "encoding") {
            guard let value = Encoding(rawValue: encoding) else {
                throw DevStorageConfigurationError("subscription encoding '\(encoding)' is not base64 or text")
            }
            self.encoding = value
        }
        if let ttl = fields.removeValue(forKey: "ttl") {
            guard let value = Int(ttl), value == -1 || value > 0 else {
                throw DevStorageConfigurationError(
                    "subscription ttl '\(ttl)' is not -1 or a positive number of seconds"
                )
            }
            self.messageTTL = value
        }
        if let unknown = fields.keys.sorted().first {
            throw DevStorageConfigurationError(
                "subscription key '\(unknown)' is unknown (known: account, container, prefix, suffix, queue, schema, encoding, ttl)"
            )
        }
    }

    /// Whether a committed blob matches this subscription.
    func matches(account: String, container: String, blobName: String) -> Bool {
        account == self.account && container == self.container
            && (self.prefix.map { blobName.hasPrefix($0) } ?? true)
            && (self.suffix.map { blobName.hasSuffix($0) } ?? true)
    }
}
