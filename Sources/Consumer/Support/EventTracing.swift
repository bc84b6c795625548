import BlobEvents
import Tracing

/// What the event's trace says about the message: set on its `blobflow.event` span, so an
/// operator can find one file's trace by event id or blob name and see how it ended.
enum EventTracing {
    /// The decoder's verdict: the event id, blob and size for work; the reason for a skip or a
    /// message that cannot be decoded.
    static func describe(_ decoded: DecodedMessage, on span: any Span) {
        switch decoded {
        case .work(let item):
            span.attributes["blobflow.event_id"] = item.eventID
            span.attributes["blobflow.blob"] = item.container + "/" + item.blobName
            span.attributes["blobflow.bytes"] = Int(item.contentLength)
            span.attributes["blobflow.api"] = item.api
        case .skip(let reason, let eventID, let blob):
            if let eventID { span.attributes["blobflow.event_id"] = eventID }
            if let blob { span.attributes["blobflow.blob"] = blob }
            span.attributes["blobflow.outcome"] = "skipped"
            span.attributes["blobflow.skip_reason"] = reason.code
        case .poison(let reason):
            span.attributes["blobflow.outcome"] = "dead-lettered"
            recordFailure(reason.code, message: reason.message, on: span)
        }
    }

    /// A failed attempt: its reason (`app-exit-1`, `timeout`, `download-failed`, ...) and an error
    /// status on the span.
    static func recordFailure(_ reason: String, message: String, on span: any Span) {
        span.attributes["blobflow.failure_reason"] = reason
        span.setStatus(SpanStatus(code: .error, message: message))
    }
}
