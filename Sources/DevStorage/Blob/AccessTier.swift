/// A block blob's access tier. Hot, Cool and Cold are online; Archive is offline: its content
/// cannot be read until Set Blob Tier moves it back to an online tier (which the development
/// server does at once, where Azure takes hours).
enum AccessTier: String, Codable, Sendable, CaseIterable {
    case hot = "Hot"
    case cool = "Cool"
    case cold = "Cold"
    case archive = "Archive"

    /// Parses `x-ms-access-tier` as Azure does: case-insensitively.
    init?(header value: String) {
        guard let tier = Self.allCases.first(where: { $0.rawValue.caseInsensitiveEquals(value) }) else { return nil }
        self = tier
    }

    /// The `x-ms-access-tier` header of a request, if any; a value that names no block blob tier
    /// (a premium page blob tier such as P10, or a typo) is refused with 400 InvalidHeaderValue.
    static func requested(_ request: StorageRequest) throws(StorageServiceError) -> AccessTier? {
        guard let value = request.header("x-ms-access-tier"), !value.isEmpty else { return nil }
        guard let tier = AccessTier(header: value) else { throw .invalidHeader("x-ms-access-tier", value) }
        return tier
    }
}
