import StorageCore

extension RequestAuthorizer {
    /// The first service version that accepts bearer tokens.
    static let minimumBearerVersion = "2017-11-09"

    /// The token of an `Authorization: Bearer TOKEN` header (scheme matched case-insensitively),
    /// or nil for any other scheme.
    static func bearerToken(in authorization: String) -> Substring? {
        let scheme = authorization.prefix { $0 != " " }
        guard scheme.lowercased() == "bearer" else { return nil }
        return authorization.dropFirst(scheme.count).drop { $0 == " " }
    }

    /// Checks the request's bearer token and returns it.
    ///
    /// In OAuth mode a valid token grants every data operation on every served account, as if its
    /// principal held Storage Blob Data Owner and Storage Queue Data Contributor: there is no RBAC.
    /// Bearer tokens are accepted over plain http, where Azure requires https, because the
    /// development server only speaks http.
    ///
    /// - Throws: 403 `AuthenticationFailed` outside OAuth mode or with an `x-ms-version` older than
    ///   2017-11-09 (as Azure answers: "Authentication scheme Bearer is not supported in this
    ///   version."); 401 `InvalidAuthenticationInfo` with a `WWW-Authenticate` challenge for a
    ///   token Azure would refuse.
    func checkBearer(
        _ request: StorageRequest,
        now: Int64 = StorageDate.now().seconds
    ) throws(StorageServiceError) -> BearerToken {
        guard let authorization = request.header("authorization"), let text = Self.bearerToken(in: authorization) else {
            throw .authenticationFailed(detail: "Only authentication scheme Bearer is supported")
        }
        guard self.acceptsBearerTokens else {
            throw .authenticationFailed(
                detail:
                    "This development storage server does not accept bearer tokens: start it with --oauth (acceptBearerTokens) or use Shared Key or SAS."
            )
        }
        guard let version = request.header("x-ms-version"), version >= Self.minimumBearerVersion else {
            throw .authenticationFailed(detail: "Authentication scheme Bearer is not supported in this version.")
        }
        let token: BearerToken
        do {
            token = try BearerToken(parsing: text)
        } catch {
            throw .invalidAuthenticationInfo(error.detail, tenant: Self.unknownTenant)
        }
        do {
            try token.validate(account: request.account, service: request.service, now: now)
        } catch {
            throw .invalidAuthenticationInfo(error.detail, tenant: token.headerSafeTenantID ?? Self.unknownTenant)
        }
        return token
    }

    /// The tenant named in a challenge when the token does not say which: Entra's multi-tenant authority.
    static let unknownTenant = "common"
}
