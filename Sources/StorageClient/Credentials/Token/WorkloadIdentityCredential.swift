public import Foundation
import StorageCore
public import StorageHTTP

/// Tokens for a Microsoft Entra workload identity, as AKS injects it into a pod: a federated
/// Kubernetes service-account token exchanged for an access token.
///
/// Configuration, each from an initialiser parameter or else the environment:
///
/// | variable | meaning |
/// | --- | --- |
/// | `AZURE_TENANT_ID` | the Entra tenant (directory) id |
/// | `AZURE_CLIENT_ID` | the client id of the app registration or user-assigned identity |
/// | `AZURE_FEDERATED_TOKEN_FILE` | the file holding the service-account token (the assertion) |
/// | `AZURE_AUTHORITY_HOST` | the Entra host; `https://login.microsoftonline.com/` when unset |
///
/// A token is requested with `POST {authority}{tenant}/oauth2/v2.0/token`, form-encoded:
/// `grant_type=client_credentials`, `client_id`, `client_assertion_type` (JWT bearer),
/// `client_assertion` and `scope`. The file is read again for every request, because the
/// kubelet rotates it. Throttling and server failures are retried as ``TokenRequestRetryPolicy``
/// says.
///
/// Missing or invalid configuration makes the credential *unavailable*; an unreadable token
/// file or a refusal from Entra ID is an authentication failure. Errors carry Entra's `error`
/// and `error_description`, never the assertion or a token.
///
/// Every call asks Entra ID; wrap the credential in a ``CachingTokenCredential``.
public struct WorkloadIdentityCredential: TokenCredential, CustomStringConvertible {
    /// Entra ID in Azure's public cloud.
    public static let defaultAuthorityHost = "https://login.microsoftonline.com/"
    static let name = "WorkloadIdentityCredential"

    /// The settings once validated.
    struct Configuration: Sendable, Equatable {
        var tenantID: String
        var clientID: String
        var tokenFilePath: String
        /// `https://host/tenant/oauth2/v2.0/token`.
        var tokenURL: String
    }

    let configuration: Result<Configuration, CredentialError>
    private let endpoint: TokenEndpointClient
    private let now: @Sendable () -> Int64

    /// Reads the settings; parameters left nil come from the environment.
    ///
    /// - Parameters:
    ///   - tenantID: the Entra tenant id (`AZURE_TENANT_ID`).
    ///   - clientID: the client id (`AZURE_CLIENT_ID`).
    ///   - tokenFilePath: the federated token file (`AZURE_FEDERATED_TOKEN_FILE`).
    ///   - authorityHost: the Entra host (`AZURE_AUTHORITY_HOST`, else ``defaultAuthorityHost``).
    ///     It must be `https`, except on the loopback interface for tests.
    ///   - environment: the process's variables by default.
    ///   - httpClient: the transport, normally a shared ``CurlTransport``.
    ///   - retryPolicy: retries of throttled or failing replies.
    ///   - now: the clock, in seconds since 1970, that `expires_in` is counted from.
    public init(
        tenantID: String? = nil,
        clientID: String? = nil,
        tokenFilePath: String? = nil,
        authorityHost: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        httpClient: any HTTPExecutor,
        retryPolicy: TokenRequestRetryPolicy = TokenRequestRetryPolicy(),
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        func value(_ parameter: String?, _ name: String) -> String? {
            if let parameter, !parameter.isEmpty { return parameter }
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        self.configuration = Self.validate(
            tenantID: value(tenantID, "AZURE_TENANT_ID"),
            clientID: value(clientID, "AZURE_CLIENT_ID"),
            tokenFilePath: value(tokenFilePath, "AZURE_FEDERATED_TOKEN_FILE"),
            authorityHost: value(authorityHost, "AZURE_AUTHORITY_HOST") ?? Self.defaultAuthorityHost
        )
        self.endpoint = TokenEndpointClient(httpClient: httpClient, retryPolicy: retryPolicy)
        self.now = now
    }

    /// Whether the tenant, client id and token file are all known and valid, so that the
    /// credential will try to authenticate rather than report itself unavailable.
    public var isConfigured: Bool {
        if case .success = self.configuration { return true }
        return false
    }

    private static func validate(
        tenantID: String?,
        clientID: String?,
        tokenFilePath: String?,
        authorityHost: String
    ) -> Result<Configuration, CredentialError> {
        var missing: [String] = []
        if tenantID == nil { missing.append("AZURE_TENANT_ID") }
        if clientID == nil { missing.append("AZURE_CLIENT_ID") }
        if tokenFilePath == nil { missing.append("AZURE_FEDERATED_TOKEN_FILE") }
        guard let tenantID, let clientID, let tokenFilePath else {
            return .failure(
                .unavailable(name, "workload identity is not configured: \(missing.joined(separator: ", ")) not set")
            )
        }
        // Entra's rule for tenant ids; it also keeps the tenant from changing the URL's path.
        let tenantCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
        guard tenantID.allSatisfy(tenantCharacters.contains), tenantID.contains(where: { $0 != "." }) else {
            return .failure(
                .unavailable(name, "the tenant id '\(CredentialError.sanitized(tenantID, limit: 80))' is not valid")
            )
        }
        var authority = authorityHost.trimmingCharacters(in: .whitespaces)
        if !authority.contains("://") { authority = "https://" + authority }
        while authority.hasSuffix("/") { authority.removeLast() }
        guard let components = URLComponents(string: authority), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            return .failure(
                .unavailable(
                    name,
                    "the authority host '\(CredentialError.sanitized(authorityHost, limit: 200))' is not a URL"
                )
            )
        }
        let loopback = host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
        guard scheme == "https" || (scheme == "http" && loopback) else {
            return .failure(
                .unavailable(
                    name,
                    "the authority host '\(CredentialError.sanitized(authorityHost, limit: 200))' must use https"
                )
            )
        }
        return .success(
            Configuration(
                tenantID: tenantID,
                clientID: clientID,
                tokenFilePath: tokenFilePath,
                tokenURL: "\(authority)/\(tenantID)/oauth2/v2.0/token"
            )
        )
    }

    public func token(forScope scope: String) async throws -> AccessToken {
        let configuration = try self.configuration.get()
        let assertion = try Self.readAssertion(at: configuration.tokenFilePath)
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", configuration.clientID),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
            ("scope", scope),
        ]
        let body = form.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
        let request = HTTPRequest(
            method: "POST",
            url: configuration.tokenURL,
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: .bytes(Array(body.utf8))
        )
        let requestTime = self.now()
        let response: HTTPResponse
        switch try await self.endpoint.send(request, retryStatuses: TokenEndpointClient.transientStatuses) {
        case .failure(let error):
            throw CredentialError.authenticationFailed(Self.name, "Microsoft Entra ID did not answer: \(error.message)")
        case .success(let reply):
            response = reply
        }
        let reply = TokenReply.decode(response.body)
        guard response.isSuccess else {
            let detail = reply?.errorSummary(removing: [assertion]) ?? "the reply is not an OAuth error"
            throw CredentialError.authenticationFailed(
                Self.name,
                "Microsoft Entra ID refused the token request: \(detail)",
                status: response.status
            )
        }
        guard let reply else {
            throw CredentialError.invalidResponse(
                Self.name,
                "Microsoft Entra ID's reply is not JSON",
                status: response.status
            )
        }
        return try reply.accessToken(requestTime: requestTime, credential: Self.name, status: response.status)
    }

    /// The service-account token, read afresh (the kubelet replaces the file before it expires).
    private static func readAssertion(at path: String) throws(CredentialError) -> String {
        let contents: Data
        do {
            contents = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .authenticationFailed(
                name,
                "cannot read the federated token file \(path): \((error as NSError).localizedDescription)"
            )
        }
        let assertion = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !assertion.isEmpty else {
            throw .authenticationFailed(name, "the federated token file \(path) is empty")
        }
        return assertion
    }

    public var description: String {
        switch self.configuration {
        case .success(let configuration):
            "WorkloadIdentityCredential(tenant \(configuration.tenantID), client id \(configuration.clientID), token file \(configuration.tokenFilePath))"
        case .failure(let error):
            "WorkloadIdentityCredential(unavailable: \(error.message))"
        }
    }
}
