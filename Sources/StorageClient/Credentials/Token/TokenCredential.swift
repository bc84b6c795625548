/// Something that obtains bearer tokens from Microsoft Entra ID for Azure Storage requests.
///
/// Implementations: ``ManagedIdentityCredential``, ``WorkloadIdentityCredential``,
/// ``ChainedTokenCredential`` (the first that works of several) and ``CachingTokenCredential``
/// (keeps a token until it is due for renewal; wrap the others in it).
///
/// A credential that is not set up in this environment throws a ``CredentialError`` whose
/// ``CredentialError/isUnavailable`` is true, so a chain can move on to the next one.
public protocol TokenCredential: Sendable {
    /// A token for `scope`, such as ``AccessToken/storageScope``. Each call may ask the issuer
    /// anew; see ``CachingTokenCredential`` for reuse.
    func token(forScope scope: String) async throws -> AccessToken
}
