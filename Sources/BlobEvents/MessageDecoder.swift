import StorageCore

/// Turns the text of one queue message fed by Event Grid into a decision: work, skip or poison.
///
/// The decoder is total: any text, however malformed or hostile, yields a ``DecodedMessage``
/// and never a crash. It accepts what Event Grid has written over the years — JSON as plain text
/// or base64, one object or a one-element array, Event Grid or CloudEvents 1.0 schema — and says
/// in one line exactly why anything else is refused.
public enum MessageDecoder {
    /// The event type that announces a new or replaced blob.
    public static let blobCreatedEventType = "Microsoft.Storage.BlobCreated"

    /// The `data.api` values that mean the blob is complete. (On hierarchical-namespace accounts
    /// `CopyBlob` fires when the copy starts; the consumer's fetch with `If-Match` catches that.)
    public static let completingAPIs: Set<String> = [
        "PutBlob", "PutBlockList", "CopyBlob", "FlushWithClose", "SftpCommit",
    ]

    /// Decodes one queue message's text (after XML unescaping) against what the consumer treats as input.
    public static func decode(_ text: String, filter: InputFilter) -> DecodedMessage {
        do {
            let body = try MessageBody(text: text)
            let event = try Self.event(in: body.document())
            return try Self.decide(event, filter: filter)
        } catch {
            return .poison(error)
        }
    }

    /// One line for a log: the decision and its reason.
    public static func describe(_ decoded: DecodedMessage) -> String {
        // Names and ids come from the message: escaped, so that one decision stays one line.
        switch decoded {
        case .work(let item):
            let key = Excerpt.inline(item.versionKey, limit: 1_200)
            return
                "work \(key) (\(item.api), \(item.contentLength) bytes, event \(Excerpt.inline(item.eventID, limit: 100)))"
        case .skip(let reason, let eventID, let blob):
            var line = "skip [\(reason.code)]"
            if let blob { line += " " + Excerpt.inline(blob, limit: 1_200) }
            if let eventID { line += " (event \(Excerpt.inline(eventID, limit: 100)))" }
            return line + ": " + reason.message
        case .poison(let reason):
            return "poison [\(reason.code)]: \(reason.message)"
        }
    }

    /// The one event a message holds.
    private static func event(in document: JSONDocument) throws(PoisonReason) -> EventEnvelope {
        switch document {
        case .object(let fields):
            return try EventEnvelope(fields)
        case .array(let elements):
            guard let first = elements.first else {
                throw PoisonReason(
                    code: "empty-array",
                    message: "the message is an empty JSON array: it holds no event"
                )
            }
            guard elements.count == 1 else {
                let ids = elements.prefix(3).map { element -> String in
                    if case .object(let fields) = element, case .scalar(.string(let id))? = fields["id"] {
                        return Excerpt.quote(id, limit: 40)
                    }
                    return "?"
                }
                throw PoisonReason(
                    code: "multiple-events",
                    message:
                        "the message is an array of \(elements.count) events (ids \(ids.joined(separator: ", "))\(elements.count > 3 ? ", …" : "")); "
                        + "one event per message is expected, and none is dropped silently"
                )
            }
            guard case .object(let fields) = first else {
                throw PoisonReason(
                    code: "wrong-type",
                    message: "the message is an array whose one element is not an event object"
                )
            }
            return try EventEnvelope(fields)
        case .other(let scalar):
            throw PoisonReason(
                code: "wrong-type",
                message: "the message is JSON \(scalar.typeDescription), not an event object"
            )
        }
    }

    /// Applies the event type, the event's data and the filter, in that order.
    private static func decide(_ event: EventEnvelope, filter: InputFilter) throws(PoisonReason) -> DecodedMessage {
        let subject = BlobEventSubject(parsing: event.subject)
        let blob = subject.map { "\($0.container)/\($0.blobName)" }
        func skip(_ code: String, _ message: String) -> DecodedMessage {
            .skip(SkipReason(code: code, message: message), eventID: event.id, blob: blob)
        }

        guard event.eventType == Self.blobCreatedEventType else {
            return skip(
                "not-blob-created",
                "a \(Excerpt.quote(event.eventType, limit: 60)) event, not \(Self.blobCreatedEventType)"
            )
        }
        let data = try BlobCreatedData(reading: FieldReader(event.reader.object("data"), path: "data."))
        guard let subject else {
            throw PoisonReason(
                code: "bad-subject",
                message:
                    "the subject \(Excerpt.quote(event.subject)) is not /blobServices/default/containers/CONTAINER/blobs/NAME"
            )
        }
        guard let eTag = EntityTag.quoted(data.eTag) else {
            throw PoisonReason(
                code: "bad-etag",
                message: "\"data.eTag\" \(Excerpt.quote(data.eTag)) is not a valid ETag"
            )
        }
        if let configured = filter.blobEndpointHost, !configured.isEmpty {
            guard let endpoint = BlobEndpoint(configured) else {
                throw PoisonReason(
                    code: "url-mismatch",
                    message:
                        "the configured blob endpoint \(Excerpt.quote(configured)) is not host[:port], so no event URL can match it"
                )
            }
            if let mismatch = endpoint.mismatch(url: data.url, account: filter.accountName) {
                throw PoisonReason(code: "url-mismatch", message: mismatch)
            }
        }

        let name = subject.blobName
        if let output = filter.excludedPrefixes.first(where: {
            Self.isSame(subject.container, $0.container) && Self.hasPrefix(name, $0.prefix)
        }) {
            return skip(
                "output-location",
                "the blob is in the output location \(Excerpt.quote(output.container + "/" + output.prefix, limit: 60)); "
                    + "outputs are never input (loop guard)"
            )
        }
        guard Self.isSame(subject.container, filter.container) else {
            return skip(
                "other-container",
                "the blob is in container \(Excerpt.quote(subject.container, limit: 63)), not the input container \(Excerpt.quote(filter.container, limit: 63))"
            )
        }
        if let problem = BlobNameSafety.problem(in: name) {
            throw PoisonReason(
                code: "unsafe-name",
                message:
                    "the blob name \(Excerpt.quote(name)) \(problem), so it cannot be staged as a local file safely"
            )
        }
        if name.utf8.last == UInt8(ascii: "/") {
            return skip("directory-or-placeholder", "the blob name ends with '/': a directory marker, not a file")
        }
        guard Self.hasPrefix(name, filter.prefix) else {
            return skip(
                "outside-prefix",
                "the blob name does not start with the input prefix \(Excerpt.quote(filter.prefix))"
            )
        }
        guard Self.completingAPIs.contains(data.api) else {
            return skip("incomplete-api", Self.incompleteAPIMessage(data.api))
        }
        return .work(
            BlobWorkItem(
                eventID: event.id,
                eventTime: event.time,
                schema: event.schema,
                api: data.api,
                accountName: filter.accountName,
                container: subject.container,
                blobName: name,
                eTag: eTag,
                contentLength: data.contentLength,
                contentType: data.contentType,
                blobType: data.blobType,
                sequencer: data.sequencer,
                blobURL: data.url
            )
        )
    }

    private static func incompleteAPIMessage(_ api: String) -> String {
        switch api {
        case "CreateFile":
            "CreateFile creates a zero-length placeholder; the FlushWithClose event that completes the upload is processed instead"
        case "SftpCreate":
            "SftpCreate opens a file over SFTP; the SftpCommit event that completes the upload is processed instead"
        default:
            "api \(Excerpt.quote(api, limit: 40)) does not mark a completed blob (only PutBlob, PutBlockList, CopyBlob, FlushWithClose and SftpCommit do)"
        }
    }

    /// Blob and container names are compared byte for byte: Swift's `==` would treat canonically
    /// equivalent Unicode spellings as equal, which Azure does not.
    private static func isSame(_ left: String, _ right: String) -> Bool {
        left.utf8.elementsEqual(right.utf8)
    }

    private static func hasPrefix(_ name: String, _ prefix: String) -> Bool {
        name.utf8.starts(with: prefix.utf8)
    }
}
