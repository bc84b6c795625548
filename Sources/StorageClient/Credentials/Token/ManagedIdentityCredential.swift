public import Foundation
import StorageCore
public import StorageHTTP
import Synchronization

/// Tokens for the Azure managed identity of the machine, container or app this process runs on.
///
/// Where the token comes from is decided once, from the environment, as azure-identity does:
///
/// - **App Service, Azure Functions, Container Apps**: when `IDENTITY_ENDPOINT` and
///   `IDENTITY_HEADER` are set, `GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=...`
///   with the header `X-IDENTITY-HEADER`.
/// - **Virtual machines, scale sets, AKS node identity, Container Instances (IMDS)**:
///   otherwise, `GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=...`
///   with `Metadata: true`. `AZURE_POD_IDENTITY_AUTHORITY_HOST` (AAD Pod Identity) replaces
///   the host.
/// - Service Fabric (`IDENTITY_SERVER_THUMBPRINT`), Azure Arc (`IDENTITY_ENDPOINT` with
///   `IMDS_ENDPOINT`) and Azure ML or Cloud Shell (`MSI_ENDPOINT`) are recognised but not
///   supported: the credential reports itself unavailable there.
///
/// A user-assigned identity is chosen by its client id, from `clientID` or else the
/// environment's `AZURE_CLIENT_ID`; without one the system-assigned identity is used.
///
/// IMDS answers `400` when no identity (or none with that client id) is assigned, and an
/// unrelated server or proxy at its address answers with something that is not JSON; both, and
/// no answer at all, make the credential *unavailable*, so a ``ChainedTokenCredential`` moves on.
/// With `probeIMDS`, the first request is a quick check (``TokenRequestRetryPolicy/probeTimeout``,
/// no retries) so that a machine without IMDS does not wait through the retries; a chain should
/// set it. Busy or failing replies (IMDS: 404, 410, 429, 5xx; App Service: 408, 429, 5xx) are
/// retried as ``TokenRequestRetryPolicy`` says.
///
/// Every call asks the endpoint; wrap the credential in a ``CachingTokenCredential``.
public final class ManagedIdentityCredential: TokenCredential, CustomStringConvertible, CustomReflectable {
    /// IMDS's address on every Azure virtual machine.
    public static let defaultIMDSBaseURL = "http://169.254.169.254"
    static let imdsTokenPath = "/metadata/identity/oauth2/token"
    static let name = "ManagedIdentityCredential"

    /// Where tokens come from in this environment.
    enum Source: Sendable, Equatable {
        case appService(endpoint: String, identityHeader: String)
        case imds(tokenURL: String, probe: Bool)
        case unsupported(String)
    }

    let source: Source
    /// The client id of the user-assigned identity asked for; nil for the system-assigned one.
    public let clientID: String?
    private let endpoint: TokenEndpointClient
    private let now: @Sendable () -> Int64
    /// Whether IMDS has answered once, so the probe is not needed again.
    private let imdsAnswered = Mutex(false)

    /// Reads the environment and chooses where tokens will come from.
    ///
    /// - Parameters:
    ///   - clientID: a user-assigned identity's client id; nil for `AZURE_CLIENT_ID` from the
    ///     environment, or the system-assigned identity when that is not set either.
    ///   - environment: the variables described above; the process's by default.
    ///   - httpClient: the transport, normally a shared ``CurlTransport``.
    ///   - imdsBaseURL: `scheme://host[:port]` of IMDS; nil for `AZURE_POD_IDENTITY_AUTHORITY_HOST`
    ///     or else ``defaultIMDSBaseURL``. Tests point it at a local server.
    ///   - probeIMDS: check quickly whether IMDS is there before the first real request (not done
    ///     when `AZURE_POD_IDENTITY_AUTHORITY_HOST` is set, whose endpoint is known to exist).
    ///   - retryPolicy: retries of busy or failing replies.
    ///   - now: the clock, in seconds since 1970, that `expires_in` is counted from.
    public init(
        clientID: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        httpClient: any HTTPExecutor,
        imdsBaseURL: String? = nil,
        probeIMDS: Bool = false,
        retryPolicy: TokenRequestRetryPolicy = TokenRequestRetryPolicy(),
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        self.clientID = clientID.flatMap { $0.isEmpty ? nil : $0 } ?? value("AZURE_CLIENT_ID")
        self.endpoint = TokenEndpointClient(httpClient: httpClient, retryPolicy: retryPolicy)
        self.now = now

        if let identityEndpoint = value("IDENTITY_ENDPOINT") {
            if let identityHeader = value("IDENTITY_HEADER") {
                if value("IDENTITY_SERVER_THUMBPRINT") != nil {
                    self.source = .unsupported(
                        "Service Fabric managed identity (IDENTITY_SERVER_THUMBPRINT is set) is not supported"
                    )
                } else {
                    self.source = .appService(endpoint: identityEndpoint, identityHeader: identityHeader)
                }
            } else if value("IMDS_ENDPOINT") != nil {
                self.source = .unsupported(
                    "Azure Arc managed identity (IDENTITY_ENDPOINT with IMDS_ENDPOINT) is not supported"
                )
            } else {
                self.source = .unsupported(
                    "IDENTITY_ENDPOINT is set but IDENTITY_HEADER is not, so no managed identity endpoint is known"
                )
            }
        } else if value("MSI_ENDPOINT") != nil {
            self.source = .unsupported("Azure ML and Cloud Shell managed identity (MSI_ENDPOINT) are not supported")
        } else {
            let podIdentityHost = value("AZURE_POD_IDENTITY_AUTHORITY_HOST")
            var base = imdsBaseURL ?? podIdentityHost ?? Self.defaultIMDSBaseURL
            while base.hasSuffix("/") { base.removeLast() }
            self.source = .imds(tokenURL: base + Self.imdsTokenPath, probe: probeIMDS && podIdentityHost == nil)
        }
    }

    /// The managed-identity *resource* for an OAuth scope: the scope without `/.default`
    /// (`https://storage.azure.com/.default` → `https://storage.azure.com`).
    static func resource(forScope scope: String) -> String {
        scope.hasSuffix("/.default") ? String(scope.dropLast("/.default".count)) : scope
    }

    public func token(forScope scope: String) async throws -> AccessToken {
        let resource = Self.resource(forScope: scope)
        switch self.source {
        case .unsupported(let reason):
            throw CredentialError.unavailable(Self.name, reason)
        case .appService(let endpoint, let identityHeader):
            return try await self.appServiceToken(
                endpoint: endpoint,
                identityHeader: identityHeader,
                resource: resource
            )
        case .imds(let tokenURL, let probe):
            return try await self.imdsToken(tokenURL: tokenURL, probe: probe, resource: resource)
        }
    }

    // MARK: App Service

    private func appServiceToken(endpoint: String, identityHeader: String, resource: String) async throws -> AccessToken
    {
        let url = self.url(endpoint, apiVersion: "2019-08-01", resource: resource)
        let request = HTTPRequest(method: "GET", url: url, headers: [("X-IDENTITY-HEADER", identityHeader)])
        let requestTime = self.now()
        switch try await self.endpoint.send(request, retryStatuses: TokenEndpointClient.transientStatuses) {
        case .failure(let error):
            throw CredentialError.authenticationFailed(
                Self.name,
                "the App Service identity endpoint \(Self.withoutQuery(endpoint)) did not answer: \(error.message)"
            )
        case .success(let response):
            let secrets = [identityHeader]
            guard response.isSuccess else {
                throw CredentialError.authenticationFailed(
                    Self.name,
                    "the App Service identity endpoint refused the token request: \(Self.detail(response, secrets: secrets))",
                    status: response.status
                )
            }
            guard let reply = TokenReply.decode(response.body) else {
                throw CredentialError.invalidResponse(
                    Self.name,
                    "the App Service identity endpoint's reply is not JSON",
                    status: response.status
                )
            }
            return try reply.accessToken(requestTime: requestTime, credential: Self.name, status: response.status)
        }
    }

    // MARK: IMDS

    /// Statuses IMDS documents as transient: 404 (identity not ready yet), 410 (IMDS being
    /// updated), 429 and every 5xx.
    static let imdsRetryStatuses: Set<Int> = Set([404, 410, 429]).union(500...599)

    private func imdsToken(tokenURL: String, probe: Bool, resource: String) async throws -> AccessToken {
        let url = self.url(tokenURL, apiVersion: "2018-02-01", resource: resource)
        let imdsAddress = Self.withoutQuery(tokenURL)
        if probe, !self.imdsAnswered.withLock({ $0 }) {
            try await self.probeIMDS(url: url, address: imdsAddress)
        }
        let request = HTTPRequest(method: "GET", url: url, headers: [("Metadata", "true")])
        let requestTime = self.now()
        let response: HTTPResponse
        switch try await self.endpoint.send(request, retryStatuses: Self.imdsRetryStatuses) {
        case .failure(let error):
            throw CredentialError.unavailable(
                Self.name,
                "no response from the IMDS endpoint \(imdsAddress): \(error.message)"
            )
        case .success(let reply):
            response = reply
        }
        self.imdsAnswered.withLock { $0 = true }
        guard let reply = TokenReply.decode(response.body) else {
            // Whatever answered is not IMDS (a proxy's or another server's page).
            throw CredentialError.unavailable(
                Self.name,
                "the reply from \(imdsAddress) is not JSON, so it is not an IMDS endpoint",
                status: response.status
            )
        }
        guard response.isSuccess else {
            let detail = reply.errorSummary(removing: []) ?? "no error description"
            if response.status == 400 {
                throw CredentialError.unavailable(
                    Self.name,
                    "no managed identity is assigned to this resource\(self.clientID.map { " with client id \($0)" } ?? ""): \(detail)",
                    status: 400
                )
            }
            if Self.isDockerDesktopUnreachable(response) {
                throw CredentialError.unavailable(
                    Self.name,
                    "a proxy reports IMDS unreachable: \(detail)",
                    status: response.status
                )
            }
            throw CredentialError.authenticationFailed(
                Self.name,
                "IMDS refused the token request: \(detail)",
                status: response.status
            )
        }
        return try reply.accessToken(requestTime: requestTime, credential: Self.name, status: response.status)
    }

    /// Checks with one quick request, without the `Metadata` header (so IMDS answers at once
    /// with a 400 and issues no token), whether anything answers at IMDS's address. Any reply
    /// counts, except Docker Desktop's proxy saying the address is unreachable.
    private func probeIMDS(url: String, address: String) async throws {
        let request = HTTPRequest(method: "GET", url: url, timeout: self.endpoint.retryPolicy.probeTimeout)
        let response: HTTPResponse
        do {
            response = try await self.endpoint.httpClient.execute(request)
        } catch let error as HTTPTransportError {
            throw CredentialError.unavailable(
                Self.name,
                "no response from the IMDS endpoint \(address): \(error.message)"
            )
        }
        if Self.isDockerDesktopUnreachable(response) {
            throw CredentialError.unavailable(
                Self.name,
                "a proxy reports the IMDS endpoint \(address) unreachable",
                status: response.status
            )
        }
        self.imdsAnswered.withLock { $0 = true }
    }

    /// Docker Desktop proxies all traffic and answers requests to an unreachable IMDS with a
    /// 403 that says "unreachable" (azure-identity treats it as no IMDS).
    private static func isDockerDesktopUnreachable(_ response: HTTPResponse) -> Bool {
        response.status == 403 && String(decoding: response.body.prefix(4096), as: UTF8.self).contains("unreachable")
    }

    // MARK: Helpers

    /// `base` with `api-version`, `resource` and, for a user-assigned identity, `client_id`
    /// appended to its query.
    private func url(_ base: String, apiVersion: String, resource: String) -> String {
        var url = base + (base.contains("?") ? "&" : "?")
        url += "api-version=\(apiVersion)&resource=\(PercentEncoding.encode(resource))"
        if let clientID = self.clientID {
            url += "&client_id=\(PercentEncoding.encode(clientID))"
        }
        return url
    }

    /// The URL without its query, for messages.
    static func withoutQuery(_ url: String) -> String {
        String(url.prefix { $0 != "?" })
    }

    /// The endpoint's explanation of an error reply, sanitised.
    private static func detail(_ response: HTTPResponse, secrets: [String]) -> String {
        if let reply = TokenReply.decode(response.body), let summary = reply.errorSummary(removing: secrets) {
            return summary
        }
        let text = String(decoding: response.body.prefix(1024), as: UTF8.self)
        return text.isEmpty ? "no error description" : CredentialError.sanitized(text, removing: secrets, limit: 200)
    }

    public var description: String {
        let identity = self.clientID.map { "client id \($0)" } ?? "system-assigned"
        switch self.source {
        case .appService(let endpoint, _):
            return "ManagedIdentityCredential(App Service at \(Self.withoutQuery(endpoint)), \(identity))"
        case .imds(let tokenURL, _):
            return "ManagedIdentityCredential(IMDS at \(Self.withoutQuery(tokenURL)), \(identity))"
        case .unsupported(let reason):
            return "ManagedIdentityCredential(unavailable: \(reason))"
        }
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["description": self.description])
    }
}
