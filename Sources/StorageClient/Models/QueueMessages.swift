public import StorageCore

/// A message taken from a queue by Get Messages: invisible to other consumers until
/// ``timeNextVisible``, and deletable or updatable only with ``popReceipt``.
public struct ReceivedQueueMessage: Sendable, Hashable {
    /// The service-assigned message identifier.
    public var messageID: String
    /// When the message was put on the queue.
    public var insertionTime: StorageDate
    /// When the message expires (year 9999 for messages that never expire).
    public var expirationTime: StorageDate
    /// The receipt that proves this receive; every update returns a new one.
    public var popReceipt: String
    /// When the message becomes visible to other consumers again.
    public var timeNextVisible: StorageDate
    /// How many times the message has been received, this time included.
    public var dequeueCount: Int
    /// The message text exactly as stored (Event Grid writes base64-encoded JSON here).
    public var text: String

    /// Creates a received message.
    public init(
        messageID: String,
        insertionTime: StorageDate,
        expirationTime: StorageDate,
        popReceipt: String,
        timeNextVisible: StorageDate,
        dequeueCount: Int,
        text: String
    ) {
        self.messageID = messageID
        self.insertionTime = insertionTime
        self.expirationTime = expirationTime
        self.popReceipt = popReceipt
        self.timeNextVisible = timeNextVisible
        self.dequeueCount = dequeueCount
        self.text = text
    }
}

/// A message seen by Peek Messages: visible to everyone, so it carries no pop receipt.
public struct PeekedQueueMessage: Sendable, Hashable {
    /// The service-assigned message identifier.
    public var messageID: String
    /// When the message was put on the queue.
    public var insertionTime: StorageDate
    /// When the message expires (year 9999 for messages that never expire).
    public var expirationTime: StorageDate
    /// How many times the message has been received so far.
    public var dequeueCount: Int
    /// The message text exactly as stored.
    public var text: String

    /// Creates a peeked message.
    public init(
        messageID: String,
        insertionTime: StorageDate,
        expirationTime: StorageDate,
        dequeueCount: Int,
        text: String
    ) {
        self.messageID = messageID
        self.insertionTime = insertionTime
        self.expirationTime = expirationTime
        self.dequeueCount = dequeueCount
        self.text = text
    }
}

/// The service's acknowledgement of Put Message: the new message's identity and timing,
/// without its text.
public struct SentQueueMessage: Sendable, Hashable {
    /// The service-assigned message identifier.
    public var messageID: String
    /// When the message was put on the queue.
    public var insertionTime: StorageDate
    /// When the message expires (year 9999 for messages that never expire).
    public var expirationTime: StorageDate
    /// A receipt that allows deleting or updating the message before anyone receives it.
    public var popReceipt: String
    /// When the message first becomes visible to consumers.
    public var timeNextVisible: StorageDate

    /// Creates a sent-message acknowledgement.
    public init(
        messageID: String,
        insertionTime: StorageDate,
        expirationTime: StorageDate,
        popReceipt: String,
        timeNextVisible: StorageDate
    ) {
        self.messageID = messageID
        self.insertionTime = insertionTime
        self.expirationTime = expirationTime
        self.popReceipt = popReceipt
        self.timeNextVisible = timeNextVisible
    }
}
