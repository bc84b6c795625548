import HTTPTypes
import Hummingbird
import NIOCore
import StorageCore
import StorageXML

/// The Queue REST API over a ``QueueStore``.
struct QueueService: Sendable {
    let store: QueueStore
    let authorizer: RequestAuthorizer
    let maxMessageBytes: Int
    let endpoint: @Sendable (String) -> String

    /// Azure's REST operation name for a request, used in logs and fault plans.
    static func operationName(_ request: StorageRequest) -> String {
        let comp = request.query("comp")
        switch (request.resourceName, request.subPath, request.method) {
        case (nil, _, .get) where comp == "list": return "ListQueues"
        case (nil, _, .get) where comp == "properties": return "GetQueueServiceProperties"
        case (nil, _, .put) where comp == "properties": return "SetQueueServiceProperties"
        case (nil, _, .post) where UserDelegationKeyOperation.matches(request): return UserDelegationKeyOperation.name
        case (nil, _, _): return UnsupportedOperation.logName(request)
        case (_, nil, .put) where comp == "metadata": return "SetQueueMetadata"
        case (_, nil, .get) where comp == "metadata", (_, nil, .head) where comp == "metadata":
            return "GetQueueMetadata"
        case (_, nil, .get) where comp == "acl", (_, nil, .head) where comp == "acl": return "GetQueueACL"
        case (_, nil, .put) where comp == "acl": return "SetQueueACL"
        case (_, nil, .put): return "CreateQueue"
        case (_, nil, .delete): return "DeleteQueue"
        case (_, "messages", .post): return "PutMessage"
        case (_, "messages", .get):
            return request.query("peekonly")?.lowercased() == "true" ? "PeekMessages" : "GetMessages"
        case (_, "messages", .delete): return "ClearMessages"
        case (_, _, .put): return "UpdateMessage"
        case (_, _, .delete): return "DeleteMessage"
        default: return UnsupportedOperation.logName(request)
        }
    }

    func handle(
        _ request: StorageRequest,
        operation: String,
        body: RequestBody
    ) async throws(StorageServiceError) -> Response {
        guard let queue = request.resourceName else {
            if operation == UserDelegationKeyOperation.name {
                return try await UserDelegationKeyOperation.respond(
                    to: request,
                    body: body,
                    authorizer: self.authorizer
                )
            }
            return try self.handleService(request, operation: operation)
        }
        switch operation {
        case "CreateQueue":
            try self.authorizer.authorize(request, requirement: .container(["c", "w"]))
            try Self.validateQueueName(queue)
            let outcome = try self.store.createQueue(account: request.account, name: queue, metadata: request.metadata)
            return StorageResponse.empty(outcome == .created ? .created : .noContent, request)
        case "DeleteQueue":
            try self.authorizer.authorize(request, requirement: .container(["d"]))
            try self.store.deleteQueue(account: request.account, name: queue)
            return StorageResponse.empty(.noContent, request)
        case "GetQueueMetadata":
            try self.authorizer.authorize(request, requirement: .container(["r"]))
            let (metadata, count) = try self.store.properties(account: request.account, name: queue)
            var headers = HTTPFields()
            headers[HTTPField.Name("x-ms-approximate-messages-count")!] = String(count)
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                headers[HTTPField.Name("x-ms-meta-" + key)!] = value
            }
            return StorageResponse.empty(.ok, request, headers: headers)
        case "SetQueueMetadata":
            try self.authorizer.authorize(request, requirement: .container(["w"]))
            try self.store.setMetadata(account: request.account, name: queue, metadata: request.metadata)
            return StorageResponse.empty(.noContent, request)
        case "GetQueueACL":
            try self.authorizer.authorize(request, requirement: .container(["r"]))
            _ = try self.store.properties(account: request.account, name: queue)
            return StorageResponse.xml(.ok, request, "<?xml version=\"1.0\" encoding=\"utf-8\"?><SignedIdentifiers />")
        case "SetQueueACL":
            try self.authorizer.authorize(request, requirement: .container(["w"]))
            _ = try self.store.properties(account: request.account, name: queue)
            return StorageResponse.empty(.noContent, request)
        case "PutMessage":
            try self.authorizer.authorize(request, requirement: .object(["a"]))
            let text = try await self.messageText(body, required: true)!
            let ttl = try request.intQuery("messagettl", default: 7 * 24 * 3600, range: -1...Int.max)!
            guard ttl != 0 else { throw .outOfRangeQuery("messagettl", "0") }
            let visibility = try request.intQuery("visibilitytimeout", default: 0, range: 0...(7 * 24 * 3600))!
            if ttl != -1, visibility >= ttl { throw .outOfRangeQuery("visibilitytimeout", String(visibility)) }
            let message = try self.store.put(
                account: request.account,
                queue: queue,
                text: text,
                visibilityTimeout: visibility,
                timeToLive: ttl
            )
            return StorageResponse.xml(
                .created,
                request,
                Self.messageList([message], includePopReceipt: true, includeText: false)
            )
        case "GetMessages":
            try self.authorizer.authorize(request, requirement: .object(["p"]))
            let count = try request.intQuery("numofmessages", default: 1, range: 1...32)!
            let visibility = try request.intQuery("visibilitytimeout", default: 30, range: 1...(7 * 24 * 3600))!
            let messages = try self.store.receive(
                account: request.account,
                queue: queue,
                count: count,
                visibilityTimeout: visibility
            )
            return StorageResponse.xml(
                .ok,
                request,
                Self.messageList(messages, includePopReceipt: true, includeText: true)
            )
        case "PeekMessages":
            try self.authorizer.authorize(request, requirement: .object(["r"]))
            let count = try request.intQuery("numofmessages", default: 1, range: 1...32)!
            let messages = try self.store.peek(account: request.account, queue: queue, count: count)
            return StorageResponse.xml(
                .ok,
                request,
                Self.messageList(messages, includePopReceipt: false, includeText: true)
            )
        case "ClearMessages":
            try self.authorizer.authorize(request, requirement: .object(["d", "p"]))
            try self.store.clear(account: request.account, queue: queue)
            return StorageResponse.empty(.noContent, request)
        case "UpdateMessage", "DeleteMessage":
            guard let subPath = request.subPath, subPath.hasPrefix("messages/") else {
                throw .invalidURI("Expected /\(request.account)/\(queue)/messages/ID.")
            }
            let id = String(subPath.dropFirst("messages/".count))
            guard let popReceipt = request.query("popreceipt"), !popReceipt.isEmpty else {
                throw .missingQuery("popreceipt")
            }
            if operation == "DeleteMessage" {
                try self.authorizer.authorize(request, requirement: .object(["p"]))
                try self.store.delete(account: request.account, queue: queue, id: id, popReceipt: popReceipt)
                return StorageResponse.empty(.noContent, request)
            }
            try self.authorizer.authorize(request, requirement: .object(["u"]))
            guard request.query("visibilitytimeout") != nil else { throw .missingQuery("visibilitytimeout") }
            let visibility = try request.intQuery("visibilitytimeout", default: 0, range: 0...(7 * 24 * 3600))!
            let text = try await self.messageText(body, required: false)
            let message = try self.store.update(
                account: request.account,
                queue: queue,
                id: id,
                popReceipt: popReceipt,
                visibilityTimeout: visibility,
                text: text
            )
            var headers = HTTPFields()
            headers[HTTPField.Name("x-ms-popreceipt")!] = message.popReceipt
            headers[HTTPField.Name("x-ms-time-next-visible")!] = message.timeNextVisible.rfc1123
            return StorageResponse.empty(.noContent, request, headers: headers)
        default:
            throw .unsupportedHTTPVerb
        }
    }

    private func handleService(_ request: StorageRequest, operation: String) throws(StorageServiceError) -> Response {
        switch operation {
        case "ListQueues":
            try self.authorizer.authorize(request, requirement: .service(["l"]))
            return try self.listQueues(request)
        case "GetQueueServiceProperties":
            try self.authorizer.authorize(request, requirement: .service(["r"]))
            return StorageResponse.xml(.ok, request, ServiceProperties.defaultXML)
        case "SetQueueServiceProperties":
            try self.authorizer.authorize(request, requirement: .service(["w"]))
            return StorageResponse.empty(.accepted, request)
        default:
            throw .notImplemented(request)
        }
    }

    private func listQueues(_ request: StorageRequest) throws(StorageServiceError) -> Response {
        let prefix = request.query("prefix") ?? ""
        let marker = request.query("marker") ?? ""
        let maxResults = try request.intQuery("maxresults", default: 5000, range: 1...5000)!
        let includeMetadata = (request.query("include") ?? "").split(separator: ",").contains("metadata")
        let all = self.store.listQueues(account: request.account).filter {
            $0.name.hasPrefix(prefix) && $0.name >= marker
        }
        let page = all.prefix(maxResults)
        var xml = XMLBuilder()
        xml.open("EnumerationResults", attributes: [("ServiceEndpoint", self.endpoint(request.account))])
        if !prefix.isEmpty { xml.element("Prefix", prefix) }
        if !marker.isEmpty { xml.element("Marker", marker) }
        if request.query("maxresults") != nil { xml.element("MaxResults", maxResults) }
        xml.open("Queues")
        for queue in page {
            xml.open("Queue")
            xml.element("Name", queue.name)
            if includeMetadata {
                xml.open("Metadata")
                for (key, value) in queue.metadata.sorted(by: { $0.key < $1.key }) { xml.element(key, value) }
                xml.close("Metadata")
            }
            xml.close("Queue")
        }
        xml.close("Queues")
        xml.element("NextMarker", all.count > maxResults ? all[maxResults].name : "")
        xml.close("EnumerationResults")
        return StorageResponse.xml(.ok, request, xml.text)
    }

    /// Reads `<QueueMessage><MessageText>...</MessageText></QueueMessage>`.
    private func messageText(_ body: RequestBody, required: Bool) async throws(StorageServiceError) -> String? {
        let limit = self.maxMessageBytes * 2 + 4096
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw .requestBodyTooLarge
        }
        if buffer.readableBytes == 0 {
            if required { throw .invalidXML("The request body is empty.") }
            return nil
        }
        let root: XMLElement
        do {
            root = try XMLDocumentParser.parse(Array(buffer.readableBytesView), maxBytes: limit)
        } catch {
            throw .invalidXML(error.message)
        }
        guard root.name == "QueueMessage", let text = root.child("MessageText")?.text else {
            throw .invalidXML("Expected <QueueMessage><MessageText>...</MessageText></QueueMessage>.")
        }
        guard text.utf8.count <= self.maxMessageBytes else { throw .messageTooLarge }
        return text
    }

    static func validateQueueName(_ name: String) throws(StorageServiceError) {
        guard ResourceNames.isValidContainerOrQueueName(name) else {
            throw .invalidResourceName("Queue names are 3-63 lowercase letters, digits and single hyphens.")
        }
    }

    private static func messageList(_ messages: [QueueMessage], includePopReceipt: Bool, includeText: Bool) -> String {
        var xml = XMLBuilder()
        xml.open("QueueMessagesList")
        for message in messages {
            xml.open("QueueMessage")
            xml.element("MessageId", message.id)
            xml.element("InsertionTime", message.insertionTime.rfc1123)
            xml.element("ExpirationTime", (message.expirationTime ?? QueueMessage.neverExpires).rfc1123)
            if includePopReceipt {
                xml.element("PopReceipt", message.popReceipt ?? "")
                xml.element("TimeNextVisible", message.timeNextVisible.rfc1123)
            }
            if includeText {
                xml.element("DequeueCount", message.dequeueCount)
                xml.text += "<MessageText>" + XMLEscaping.escape(message.text) + "</MessageText>"
            }
            xml.close("QueueMessage")
        }
        xml.close("QueueMessagesList")
        return xml.text
    }
}

/// Naming rules shared by containers and queues.
enum ResourceNames {
    static func isValidContainerOrQueueName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        var previousHyphen = false
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                previousHyphen = false
            case UInt8(ascii: "-"):
                if index == 0 || index == bytes.count - 1 || previousHyphen { return false }
                previousHyphen = true
            default:
                return false
            }
        }
        return true
    }
}

/// The service properties document returned by Get Service Properties.
enum ServiceProperties {
    static let defaultXML = """
        <?xml version="1.0" encoding="utf-8"?><StorageServiceProperties><Logging><Version>1.0</Version><Read>false</Read>\
        <Write>false</Write><Delete>false</Delete><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></Logging>\
        <HourMetrics><Version>1.0</Version><Enabled>false</Enabled><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy>\
        </HourMetrics><MinuteMetrics><Version>1.0</Version><Enabled>false</Enabled><RetentionPolicy><Enabled>false</Enabled>\
        </RetentionPolicy></MinuteMetrics><Cors /></StorageServiceProperties>
        """
}
