internal import StorageXML

/// Decoding and encoding of the Queue service's XML bodies.
///
/// Every reply is `<QueueMessagesList>` holding zero or more `<QueueMessage>` elements; which
/// fields a message carries depends on the operation. Times are RFC 1123.
enum QueueXML {
    /// The messages of a Get Messages reply (an empty queue gives an empty list).
    static func receivedMessages(_ body: [UInt8]) throws(StorageDecodingError) -> [ReceivedQueueMessage] {
        let root = try XMLReply.root(body, named: "QueueMessagesList")
        var messages: [ReceivedQueueMessage] = []
        for element in root.children(named: "QueueMessage") {
            messages.append(
                ReceivedQueueMessage(
                    messageID: try XMLReply.nonEmptyText("MessageId", in: element),
                    insertionTime: try XMLReply.rfc1123Date("InsertionTime", in: element),
                    expirationTime: try XMLReply.rfc1123Date("ExpirationTime", in: element),
                    popReceipt: try XMLReply.nonEmptyText("PopReceipt", in: element),
                    timeNextVisible: try XMLReply.rfc1123Date("TimeNextVisible", in: element),
                    dequeueCount: try XMLReply.count("DequeueCount", in: element),
                    text: try XMLReply.text("MessageText", in: element)
                )
            )
        }
        return messages
    }

    /// The messages of a Peek Messages reply.
    static func peekedMessages(_ body: [UInt8]) throws(StorageDecodingError) -> [PeekedQueueMessage] {
        let root = try XMLReply.root(body, named: "QueueMessagesList")
        var messages: [PeekedQueueMessage] = []
        for element in root.children(named: "QueueMessage") {
            messages.append(
                PeekedQueueMessage(
                    messageID: try XMLReply.nonEmptyText("MessageId", in: element),
                    insertionTime: try XMLReply.rfc1123Date("InsertionTime", in: element),
                    expirationTime: try XMLReply.rfc1123Date("ExpirationTime", in: element),
                    dequeueCount: try XMLReply.count("DequeueCount", in: element),
                    text: try XMLReply.text("MessageText", in: element)
                )
            )
        }
        return messages
    }

    /// The acknowledgement of Put Message: a list holding exactly one message, without text.
    static func sentMessage(_ body: [UInt8]) throws(StorageDecodingError) -> SentQueueMessage {
        let root = try XMLReply.root(body, named: "QueueMessagesList")
        let elements = root.children(named: "QueueMessage")
        guard elements.count == 1, let element = elements.first else {
            throw .unexpectedCount("QueueMessage", in: root.name, count: elements.count, expected: 1)
        }
        return SentQueueMessage(
            messageID: try XMLReply.nonEmptyText("MessageId", in: element),
            insertionTime: try XMLReply.rfc1123Date("InsertionTime", in: element),
            expirationTime: try XMLReply.rfc1123Date("ExpirationTime", in: element),
            popReceipt: try XMLReply.nonEmptyText("PopReceipt", in: element),
            timeNextVisible: try XMLReply.rfc1123Date("TimeNextVisible", in: element)
        )
    }

    /// The Put Message request body carrying `text`.
    ///
    /// Carriage returns are written as character references so XML's line-end normalisation
    /// cannot turn `\r\n` into `\n`; characters XML 1.0 cannot carry at all (other C0 controls)
    /// are dropped, so callers that need arbitrary bytes should base64-encode first.
    static func putMessageBody(text: String) -> [UInt8] {
        var body = Array("<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage><MessageText>".utf8)
        for byte in XMLEscaping.escape(text).utf8 {
            if byte == UInt8(ascii: "\r") {
                body += "&#13;".utf8
            } else {
                body.append(byte)
            }
        }
        body += "</MessageText></QueueMessage>".utf8
        return body
    }
}
