/// What an operation needs from a request's credentials.
struct AccessRequirement: Sendable {
    /// The resource level, as an account SAS's `srt` names it.
    enum Level: Character, Sendable {
        case service = "s"
        case container = "c"
        case object = "o"
    }

    /// Which anonymous access a public container grants to this operation.
    enum PublicAccess: Sendable {
        /// Never anonymous.
        case none
        /// Allowed when the container's public access level is `blob` or `container`.
        case blobRead
        /// Allowed when the container's public access level is `container`.
        case containerRead
    }

    var level: Level
    /// Any one of these permission letters suffices.
    var permissions: Set<Character>
    var publicAccess: PublicAccess = .none

    static func service(_ permissions: Set<Character>) -> Self { .init(level: .service, permissions: permissions) }
    static func container(_ permissions: Set<Character>, publicAccess: PublicAccess = .none) -> Self {
        .init(level: .container, permissions: permissions, publicAccess: publicAccess)
    }
    static func object(_ permissions: Set<Character>, publicAccess: PublicAccess = .none) -> Self {
        .init(level: .object, permissions: permissions, publicAccess: publicAccess)
    }
}
