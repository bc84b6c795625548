/// Bearer tokens for storage requests, cached until shortly before they expire and refreshed by
/// one caller while the others keep using the still-valid token.
struct TokenSource: Sendable {
    private let credential: any TokenCredential

    init(credential: any TokenCredential) {
        self.credential = credential is CachingTokenCredential ? credential : CachingTokenCredential(credential)
    }

    func token() async throws -> String {
        try await self.credential.token(forScope: AccessToken.storageScope).token
    }
}
