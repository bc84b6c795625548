/// Which dead letters a replay takes. Every condition that is set must hold; an empty filter
/// takes every dead letter.
///
/// Undecodable messages have no blob and usually no event id, so a blob pattern or an event id
/// leaves them out; select them by age alone.
public struct ReplayFilter: Sendable, Hashable {
    /// A glob over the blob: `*` matches any run of characters (`/` included), `?` one character.
    /// It is tried against the blob name and against `container/name`, so both `scans/*.tif` and
    /// `input/scans/*` select `input/scans/a.tif`.
    public var blobPattern: String?
    /// The Event Grid event id, exactly.
    public var eventID: String?
    /// Only dead letters at least this old: time since the message entered the poison queue.
    public var olderThan: Duration?
    /// Only dead letters at most this old: time since the message entered the poison queue.
    public var newerThan: Duration?
    /// At most this many dead letters are replayed (or, in a dry run, would be), in the order the
    /// poison queue hands them out; the rest are left as they are.
    public var limit: Int?

    /// Creates a filter; with no arguments it takes every dead letter.
    public init(
        blobPattern: String? = nil,
        eventID: String? = nil,
        olderThan: Duration? = nil,
        newerThan: Duration? = nil,
        limit: Int? = nil
    ) {
        self.blobPattern = blobPattern
        self.eventID = eventID
        self.olderThan = olderThan
        self.newerThan = newerThan
        self.limit = limit
    }

    /// Whether a dead letter meets the conditions (the limit aside).
    ///
    /// - Parameters:
    ///   - eventID: The event id, when the message could be read.
    ///   - container: The blob's container, when the message could be read.
    ///   - blobName: The blob's name, when the message could be read.
    ///   - age: How long the message has been in the poison queue.
    public func matches(eventID: String?, container: String?, blobName: String?, age: Duration) -> Bool {
        if let pattern = self.blobPattern {
            guard let container, let blobName else { return false }
            let glob = GlobPattern(pattern)
            guard glob.matches(blobName) || glob.matches(container + "/" + blobName) else { return false }
        }
        if let wanted = self.eventID {
            guard let eventID, eventID.utf8.elementsEqual(wanted.utf8) else { return false }
        }
        if let olderThan = self.olderThan, age < olderThan { return false }
        if let newerThan = self.newerThan, age > newerThan { return false }
        return true
    }
}
