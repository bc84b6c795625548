import StorageCore

/// HTTP conditional headers of a blob request: If-Match, If-None-Match, If-Modified-Since,
/// If-Unmodified-Since.
struct BlobConditions: Sendable {
    var ifMatch: String?
    var ifNoneMatch: String?
    var ifModifiedSince: StorageDate?
    var ifUnmodifiedSince: StorageDate?

    init(_ request: StorageRequest) {
        self.ifMatch = request.header("if-match")
        self.ifNoneMatch = request.header("if-none-match")
        self.ifModifiedSince = request.header("if-modified-since").flatMap { StorageDate(rfc1123: $0) }
        self.ifUnmodifiedSince = request.header("if-unmodified-since").flatMap { StorageDate(rfc1123: $0) }
    }

    init() {}

    var isEmpty: Bool {
        self.ifMatch == nil && self.ifNoneMatch == nil && self.ifModifiedSince == nil && self.ifUnmodifiedSince == nil
    }

    private static func matches(_ header: String, etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            let trimmed = String(candidate).trimmingSpaces()
            return trimmed == "*" || EntityTag.opaque(trimmed) == etag
        }
    }

    /// Checks the conditions of a write against the current blob (nil when it does not exist).
    func checkWrite(existing: (etag: String, lastModified: StorageDate)?) throws(StorageServiceError) {
        if let ifNoneMatch {
            if let existing {
                if ifNoneMatch.trimmingSpaces() == "*" { throw .blobAlreadyExists }
                if Self.matches(ifNoneMatch, etag: existing.etag) { throw .conditionNotMet }
            }
        }
        if let ifMatch {
            guard let existing, Self.matches(ifMatch, etag: existing.etag) else { throw .conditionNotMet }
        }
        if let existing {
            if let since = self.ifModifiedSince, existing.lastModified.seconds <= since.seconds {
                throw .conditionNotMet
            }
            if let since = self.ifUnmodifiedSince, existing.lastModified.seconds > since.seconds {
                throw .conditionNotMet
            }
        } else if self.ifUnmodifiedSince != nil || self.ifModifiedSince != nil {
            throw .conditionNotMet
        }
    }

    /// The outcome of a read's conditions: proceed, 304 Not Modified, or 412.
    enum ReadOutcome { case proceed, notModified }

    func checkRead(etag: String, lastModified: StorageDate) throws(StorageServiceError) -> ReadOutcome {
        if let ifMatch, !Self.matches(ifMatch, etag: etag) { throw .conditionNotMet }
        if let since = self.ifUnmodifiedSince, lastModified.seconds > since.seconds { throw .conditionNotMet }
        if let ifNoneMatch, Self.matches(ifNoneMatch, etag: etag) { return .notModified }
        if let since = self.ifModifiedSince, lastModified.seconds <= since.seconds { return .notModified }
        return .proceed
    }
}
