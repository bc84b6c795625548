import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import StorageCore
import Synchronization

/// A local server that speaks the three token protocols the credentials use, for tests:
///
/// - App Service / Container Apps: `GET /msi/token?api-version=2019-08-01&resource=...[&client_id=...]`
///   with `X-IDENTITY-HEADER: <identityHeader>`.
/// - IMDS: `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=...[&client_id=...]`
///   with `Metadata: true` (without it, a 400 as real IMDS gives).
/// - Microsoft Entra ID v2: `POST /{tenant}/oauth2/v2.0/token`, form-encoded client-assertion grant.
///
/// Each route checks what the protocol requires and answers a violation as the real service
/// would (so a test sees the failure), records every request, and replies from a script of
/// ``Reply`` values (a good token when the script is empty).
final class FakeTokenServer: Sendable {
    /// The protocols served.
    enum Route: Sendable, Hashable {
        case appService
        case imds
        case entra
    }

    /// A scripted reply.
    indirect enum Reply: Sendable {
        /// A good token living `lifetime` seconds.
        case token(lifetime: Int64 = 3600)
        /// A good token shaped like a Microsoft Entra access token, living `lifetime` seconds: an
        /// unsigned JWT (``entraShapedToken(signature:resource:now:lifetime:)``) for servers that
        /// read tokens, such as the development server in OAuth mode.
        case entraToken(lifetime: Int64 = 3600)
        /// A token that expired a minute ago.
        case expiredToken
        /// A 200 whose body is cut off JSON.
        case badJSON
        /// Any status with any body (e.g. a 500).
        case status(Int, body: String = "")
        /// The protocol's "no such identity" 400.
        case identityNotFound
        /// An Entra error whose description quotes the client assertion back, the worst case for
        /// a credential that must never reveal it.
        case errorEchoingSecrets
        /// The reply after a delay.
        case slow(Duration, Reply)
    }

    /// One request as received.
    struct RecordedRequest: Sendable {
        var route: Route
        var method: String
        var path: String
        var query: [String: String]
        /// Header names lowercased.
        var headers: [String: String]
        var form: [String: String]
        /// Whether it met the protocol's requirements (and so got a scripted reply).
        var accepted: Bool
    }

    private struct State {
        var scripts: [Route: [Reply]] = [:]
        var requests: [RecordedRequest] = []
        var issued = 0
    }

    /// The `X-IDENTITY-HEADER` value the App Service route requires.
    static let identityHeader = "fake-identity-header-7f3a9c"

    private let state = Mutex(State())
    private let portBox = Mutex(0)

    /// `http://127.0.0.1:PORT`.
    var baseURL: String { "http://127.0.0.1:\(self.portBox.withLock { $0 })" }
    /// The App Service endpoint, as `IDENTITY_ENDPOINT` would name it.
    var appServiceEndpoint: String { self.baseURL + "/msi/token" }

    /// Queues replies for a route, used in order before the default good token.
    func script(_ route: Route, _ replies: Reply...) {
        self.state.withLock { $0.scripts[route, default: []].append(contentsOf: replies) }
    }

    /// Every request received so far, optionally only those to one route.
    func requests(_ route: Route? = nil) -> [RecordedRequest] {
        self.state.withLock { state in state.requests.filter { route == nil || $0.route == route } }
    }

    /// Requests that met the protocol's requirements (real token requests, not probes).
    func acceptedRequests(_ route: Route) -> [RecordedRequest] {
        self.requests(route).filter(\.accepted)
    }

    /// Every access token this server has issued, for checking that none leaks into a message.
    func issuedTokens() -> [String] {
        let count = self.state.withLock { $0.issued }
        return count == 0 ? [] : (1...count).map(Self.tokenValue)
    }

    static func tokenValue(_ number: Int) -> String {
        "fake-access-token-\(number)-e1b2c3d4"
    }

    // MARK: Running

    /// Starts a server on `127.0.0.1`, port 0, runs `body`, then shuts the server down.
    static func run<Result: Sendable>(_ body: @Sendable (FakeTokenServer) async throws -> Result) async throws -> Result
    {
        let server = FakeTokenServer()
        let router = Router()
        router.get("/msi/token") { request, _ in try await server.respond(.appService, request: request) }
        router.get("/metadata/identity/oauth2/token") { request, _ in try await server.respond(.imds, request: request)
        }
        router.post("/:tenant/oauth2/v2.0/token") { request, _ in try await server.respond(.entra, request: request) }

        let logger = Logger(label: "fake-token-server", factory: { _ in SwiftLogNoOpLogHandler() })
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                readyContinuation.yield(channel.localAddress?.port ?? 0)
                readyContinuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(services: [application], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                var iterator = ready.makeAsyncIterator()
                guard let port = await iterator.next(), port > 0 else {
                    throw FakeTokenServerError(message: "the fake token server did not start")
                }
                server.portBox.withLock { $0 = port }
                let result = try await body(server)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    // MARK: Answering

    private func respond(_ route: Route, request: Request) async throws -> Response {
        var request = request
        let query = Dictionary(
            PercentEncoding.queryItems(request.uri.query ?? ""),
            uniquingKeysWith: { first, _ in first }
        )
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName.lowercased()] = field.value
        }
        var form: [String: String] = [:]
        if route == .entra {
            let body = try await request.collectBody(upTo: 1 << 20)
            form = Dictionary(PercentEncoding.queryItems(String(buffer: body)), uniquingKeysWith: { first, _ in first })
        }
        let violation = Self.violation(route, query: query, headers: headers, form: form)
        self.state.withLock {
            $0.requests.append(
                RecordedRequest(
                    route: route,
                    method: request.method.rawValue,
                    path: request.uri.path,
                    query: query,
                    headers: headers,
                    form: form,
                    accepted: violation == nil
                )
            )
        }
        if let violation { return violation }

        var reply = self.state.withLock { state -> Reply in
            guard var script = state.scripts[route], !script.isEmpty else { return .token() }
            let next = script.removeFirst()
            state.scripts[route] = script
            return next
        }
        while case .slow(let delay, let next) = reply {
            try await Task.sleep(for: delay)
            reply = next
        }
        return self.answer(reply, route: route, resource: query["resource"], assertion: form["client_assertion"])
    }

    /// The real service's answer to a request that breaks its protocol, or nil when it is fine.
    private static func violation(
        _ route: Route,
        query: [String: String],
        headers: [String: String],
        form: [String: String]
    ) -> Response? {
        switch route {
        case .appService:
            guard headers["x-identity-header"] == Self.identityHeader else {
                return json(
                    401,
                    #"{"statusCode":401,"message":"Unauthorized. X-IDENTITY-HEADER is missing or wrong."}"#
                )
            }
            guard query["api-version"] == "2019-08-01", query["resource"]?.isEmpty == false else {
                return json(400, #"{"statusCode":400,"message":"api-version 2019-08-01 and resource are required."}"#)
            }
        case .imds:
            guard headers["metadata"] == "true" else {
                return json(
                    400,
                    #"{"error":"invalid_request","error_description":"Required metadata header not specified"}"#
                )
            }
            guard query["api-version"] == "2018-02-01", query["resource"]?.isEmpty == false else {
                return json(
                    400,
                    #"{"error":"invalid_request","error_description":"Required query variable 'api-version' or 'resource' is missing"}"#
                )
            }
        case .entra:
            guard headers["content-type"]?.hasPrefix("application/x-www-form-urlencoded") == true else {
                return json(
                    400,
                    #"{"error":"invalid_request","error_description":"AADSTS900144: The request body must be form-encoded."}"#
                )
            }
            let required = [
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ]
            for (name, value) in required where form[name] != value {
                return json(
                    400,
                    #"{"error":"invalid_request","error_description":"AADSTS900144: The request body must contain the following parameter: '\#(name)'."}"#
                )
            }
            for name in ["client_id", "client_assertion", "scope"] where form[name]?.isEmpty != false {
                return json(
                    400,
                    #"{"error":"invalid_request","error_description":"AADSTS900144: The request body must contain the following parameter: '\#(name)'."}"#
                )
            }
        }
        return nil
    }

    private func answer(_ reply: Reply, route: Route, resource: String?, assertion: String?) -> Response {
        let now = Int64(Date().timeIntervalSince1970)
        switch reply {
        case .token(let lifetime):
            return Self.json(200, self.tokenBody(route: route, lifetime: lifetime, now: now, resource: resource))
        case .entraToken(let lifetime):
            return Self.json(
                200,
                self.tokenBody(route: route, lifetime: lifetime, now: now, resource: resource, entraShaped: true)
            )
        case .expiredToken:
            return Self.json(200, self.tokenBody(route: route, lifetime: -60, now: now, resource: resource))
        case .badJSON:
            return Self.json(200, #"{"access_token": "fake-trunc"#)
        case .status(let status, let body):
            return Self.json(status, body)
        case .identityNotFound:
            switch route {
            case .appService:
                return Self.json(
                    400,
                    #"{"statusCode":400,"message":"No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId."}"#
                )
            case .imds:
                return Self.json(400, #"{"error":"invalid_request","error_description":"Identity not found"}"#)
            case .entra:
                return Self.json(
                    400,
                    #"{"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'x' was not found in the directory 'fake'.","error_codes":[700016]}"#
                )
            }
        case .errorEchoingSecrets:
            let echoed = assertion ?? Self.identityHeader
            return Self.json(
                401,
                #"{"error":"invalid_client","error_description":"AADSTS700024: Client assertion \#(echoed) is not within its valid time range."}"#
            )
        case .slow(_, let next):
            return self.answer(next, route: route, resource: resource, assertion: assertion)
        }
    }

    private func tokenBody(
        route: Route,
        lifetime: Int64,
        now: Int64,
        resource: String?,
        entraShaped: Bool = false
    ) -> String {
        let number = self.state.withLock { state -> Int in
            state.issued += 1
            return state.issued
        }
        let token =
            entraShaped
            ? Self.entraShapedToken(
                signature: Self.tokenValue(number),
                resource: resource,
                now: now,
                lifetime: lifetime
            )
            : Self.tokenValue(number)
        let resource = resource ?? ""
        switch route {
        case .appService:
            return
                #"{"access_token":"\#(token)","expires_on":"\#(now + lifetime)","resource":"\#(resource)","token_type":"Bearer","client_id":"fake"}"#
        case .imds:
            // IMDS writes every number as a string.
            return
                #"{"access_token":"\#(token)","refresh_token":"","expires_in":"\#(lifetime)","expires_on":"\#(now + lifetime)","not_before":"\#(now)","resource":"\#(resource)","token_type":"Bearer"}"#
        case .entra:
            return
                #"{"token_type":"Bearer","expires_in":\#(lifetime),"ext_expires_in":\#(lifetime),"access_token":"\#(token)"}"#
        }
    }

    /// The object ID and tenant in every Entra-shaped token.
    static let principalObjectID = "5f0c9a3e-7d1b-4c2a-9e8f-0a1b2c3d4e5f"
    static let tenantID = "8a7b6c5d-4e3f-4a2b-8c1d-0e9f8a7b6c5d"

    /// An unsigned JWT with the claims of a Microsoft Entra v1 access token (`aud` the requested
    /// resource, default Azure Storage), whose signature part starts with `signature`: the usual
    /// fake token value, so ``issuedTokens()`` still finds it in leaked text.
    static func entraShapedToken(signature: String, resource: String?, now: Int64, lifetime: Int64) -> String {
        func part(_ object: [String: Any]) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return data.base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                    of: "=",
                    with: ""
                )
        }
        let header: [String: Any] = ["alg": "RS256", "typ": "JWT", "kid": "fake-key"]
        let claims: [String: Any] = [
            "aud": resource ?? "https://storage.azure.com", "iss": "https://sts.windows.net/\(Self.tenantID)/",
            "iat": now, "nbf": now, "exp": now + lifetime, "oid": Self.principalObjectID, "tid": Self.tenantID,
            "sub": Self.principalObjectID, "idtyp": "app", "ver": "1.0",
        ]
        // A base64url text is never 1 more than a multiple of 4 characters long.
        return part(header) + "." + part(claims) + "." + signature + (signature.utf8.count % 4 == 1 ? "A" : "")
    }

    private static func json(_ status: Int, _ body: String) -> Response {
        Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }
}

/// The fake token server failed to start.
struct FakeTokenServerError: Error, CustomStringConvertible {
    let message: String
    var description: String { self.message }
}
