/// The decision for one queue message.
public enum DecodedMessage: Sendable, Hashable {
    /// A completed blob the consumer should process.
    case work(BlobWorkItem)
    /// A readable event that is not work here; `eventID` and `blob` (`container/name`) are given
    /// when the event carried them, for the log line.
    case skip(SkipReason, eventID: String?, blob: String?)
    /// A message that can never become work.
    case poison(PoisonReason)
}
