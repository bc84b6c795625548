/// Bearer tokens for storage requests, cached until shortly before they expire.
struct TokenSource: Sendable {
    let credential: any TokenCredential

    init(credential: any TokenCredential) {
        self.credential = credential
    }

    func token() async throws -> String {
        try await self.credential.token(forScope: storageTokenScope).token
    }
}

/// The OAuth scope of Azure Storage.
let storageTokenScope = "https://storage.azure.com/.default"
