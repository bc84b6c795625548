import StorageClient
import StorageCore

/// The user delegation key SAS tokens are signed with when the account is reached with a token
/// credential (managed or workload identity): requested from the service once, shared by
/// concurrent transfers, and replaced when too little of its validity is left for another SAS.
actor UserDelegationKeyCache {
    /// Clock skew allowed for on both ends of the key's validity, in seconds.
    static let skew: Int64 = 300
    /// The longest validity the service grants a key, in seconds (seven days), less the skew.
    static let longestLifetime: Int64 = 7 * 24 * 3600 - 2 * 300
    /// The shortest validity requested, in seconds: a key serves many transfers.
    static let shortestLifetime: Int64 = 6 * 3600

    private struct Signer: Sendable {
        /// A request carrying the key; permissions and lifetime are set per SAS.
        var request: SASRequest
        /// When the key stops signing valid SAS tokens.
        var expiry: StorageDate
    }

    private var current: Signer?
    private var pending: Task<Signer, any Error>?

    /// A SAS request for `permissions` and `lifetime`, signed with a key that outlives the SAS.
    func request(permissions: String, lifetime: Duration, pipeline: StoragePipeline) async throws -> SASRequest {
        let lifetimeSeconds = max(60, lifetime.components.seconds)
        let signer: Signer
        if let current = self.current, StorageDate.now().adding(seconds: lifetimeSeconds + Self.skew) < current.expiry {
            signer = current
        } else {
            let task: Task<Signer, any Error>
            if let pending = self.pending {
                task = pending
            } else {
                let keyLifetime = min(Self.longestLifetime, max(Self.shortestLifetime, 2 * lifetimeSeconds + Self.skew))
                task = Task {
                    let now = StorageDate.now()
                    let expiry = now.adding(seconds: keyLifetime)
                    let key = try await pipeline.userDelegationKey(
                        start: now.adding(seconds: -Self.skew),
                        expiry: expiry
                    )
                    return Signer(request: SASRequest(permissions: "", userDelegationKey: key), expiry: expiry)
                }
                self.pending = task
            }
            do {
                signer = try await task.value
                self.current = signer
                self.pending = nil
            } catch {
                self.pending = nil
                throw error
            }
        }
        var request = signer.request
        request.permissions = permissions
        request.lifetime = lifetime
        return request
    }
}
