public import Foundation
public import StorageHTTP

/// The first token any of several credentials can provide, tried in order.
///
/// A credential that is *unavailable* here (a ``CredentialError`` with
/// ``CredentialError/isUnavailable``: not configured, no identity endpoint) passes to the next.
/// Any other failure, such as Entra ID refusing a configured workload identity, stops the chain
/// and is thrown as it is, as azure-identity's `DefaultAzureCredential` does: a configured
/// identity that fails should be fixed, not silently replaced by another. When every
/// credential is unavailable, the error is unavailable too and lists each one's reason.
public struct ChainedTokenCredential: TokenCredential {
    /// The credentials, in the order they are tried.
    public let credentials: [any TokenCredential]

    /// A chain of `credentials`, tried in order.
    public init(_ credentials: [any TokenCredential]) {
        self.credentials = credentials
    }

    /// The chain for a service running in Azure: workload identity when its environment is set
    /// (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`), then managed
    /// identity (App Service / Container Apps, else IMDS with a quick probe).
    ///
    /// Wrap the result in a ``CachingTokenCredential``.
    public static func defaultChain(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        httpClient: any HTTPExecutor
    ) -> ChainedTokenCredential {
        var credentials: [any TokenCredential] = []
        let workload = WorkloadIdentityCredential(environment: environment, httpClient: httpClient)
        if workload.isConfigured {
            credentials.append(workload)
        }
        credentials.append(ManagedIdentityCredential(environment: environment, httpClient: httpClient, probeIMDS: true))
        return ChainedTokenCredential(credentials)
    }

    public func token(forScope scope: String) async throws -> AccessToken {
        var reasons: [String] = []
        for credential in self.credentials {
            do {
                return try await credential.token(forScope: scope)
            } catch let error as CredentialError where error.isUnavailable {
                reasons.append("\(error.credential): \(error.message)")
            }
        }
        let detail = reasons.isEmpty ? "the chain is empty" : reasons.joined(separator: "; ")
        throw CredentialError.unavailable("ChainedTokenCredential", "no credential could provide a token: \(detail)")
    }
}
