public import Foundation
public import Logging

/// Keeps the token of another credential until it is due for renewal, so that requests do not
/// each ask the issuer.
///
/// Per scope:
///
/// - A cached token is returned until its renewal time: five minutes (`refreshMargin`) before
///   it expires, or halfway through its life if that is later (for short-lived tokens), or its
///   ``AccessToken/refreshOn`` if that is earlier.
/// - From then on the cached token is still returned while one renewal runs in the background.
///   If the renewal fails, the failure is logged (never a secret), the old token stays in use,
///   and the next renewal is tried `retryDelay` later.
/// - Once the token has expired, or before there is one, callers wait for a fetch, and its
///   error is thrown to them.
/// - However many callers arrive at once, at most one request per scope is in flight.
public actor CachingTokenCredential: TokenCredential {
    private struct Entry {
        var token: AccessToken?
        /// When a renewal becomes due, in seconds since 1970.
        var refreshAt: Int64 = 0
        /// The fetch in flight, shared by every caller waiting for it.
        var fetch: Task<AccessToken, any Error>?
        /// Tells the fetch in flight from stale ones.
        var generation: UInt64 = 0
        /// After a failed renewal, the earliest time to try again while the old token lasts.
        var nextAttempt: Int64 = 0
    }

    private let credential: any TokenCredential
    private let refreshMargin: Int64
    private let retryDelay: Int64
    private let logger: Logger
    private let now: @Sendable () -> Int64
    private var entries: [String: Entry] = [:]

    /// Wraps `credential`.
    ///
    /// - Parameters:
    ///   - refreshMargin: how long before expiry a token is renewed.
    ///   - retryDelay: how long to wait after a failed renewal before trying again, while the
    ///     old token still works.
    ///   - logger: where failed renewals are reported.
    ///   - now: the clock, in seconds since 1970.
    public init(
        _ credential: any TokenCredential,
        refreshMargin: Duration = .seconds(300),
        retryDelay: Duration = .seconds(30),
        logger: Logger = Logger(label: "blobflow.credentials"),
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.credential = credential
        self.refreshMargin = refreshMargin.components.seconds
        self.retryDelay = retryDelay.components.seconds
        self.logger = logger
        self.now = now
    }

    public func token(forScope scope: String) async throws -> AccessToken {
        let now = self.now()
        let entry = self.entries[scope, default: Entry()]
        if let token = entry.token, token.isUsable(at: now) {
            if now >= entry.refreshAt, entry.fetch == nil, now >= entry.nextAttempt {
                _ = self.startFetch(scope: scope, at: now)
            }
            return token
        }
        let fetch = entry.fetch ?? self.startFetch(scope: scope, at: now)
        return try await fetch.value
    }

    /// Waits until no fetch for `scope` is in flight (for tests of background renewal).
    func waitForFetch(scope: String) async {
        _ = try? await self.entries[scope]?.fetch?.value
    }

    /// When a token fetched at `fetchedAt` is due for renewal.
    static func refreshTime(of token: AccessToken, fetchedAt: Int64, margin: Int64) -> Int64 {
        let halfway = fetchedAt + (token.expiresOn - fetchedAt) / 2
        var refreshAt = max(token.expiresOn - margin, halfway)
        if let refreshOn = token.refreshOn {
            refreshAt = min(refreshAt, refreshOn)
        }
        return refreshAt
    }

    private func startFetch(scope: String, at startTime: Int64) -> Task<AccessToken, any Error> {
        var entry = self.entries[scope, default: Entry()]
        entry.generation &+= 1
        let generation = entry.generation
        let credential = self.credential
        let fetch = Task.detached { () async throws -> AccessToken in
            let result: Result<AccessToken, any Error>
            do {
                result = .success(try await credential.token(forScope: scope))
            } catch {
                result = .failure(error)
            }
            await self.finish(scope: scope, generation: generation, startTime: startTime, result: result)
            return try result.get()
        }
        entry.fetch = fetch
        self.entries[scope] = entry
        return fetch
    }

    private func finish(scope: String, generation: UInt64, startTime: Int64, result: Result<AccessToken, any Error>) {
        guard var entry = self.entries[scope], entry.generation == generation else { return }
        entry.fetch = nil
        let now = self.now()
        switch result {
        case .success(let token):
            entry.token = token
            entry.refreshAt = Self.refreshTime(of: token, fetchedAt: startTime, margin: self.refreshMargin)
            entry.nextAttempt = 0
        case .failure(let error):
            if let token = entry.token, token.isUsable(at: now) {
                entry.nextAttempt = now + self.retryDelay
                self.logger.warning(
                    "Renewing an access token failed; the current one stays in use until it expires",
                    metadata: [
                        "scope": "\(scope)",
                        "expires_in_seconds": "\(token.expiresOn - now)",
                        "retry_in_seconds": "\(self.retryDelay)",
                        "error": "\(Self.safeDescription(of: error))",
                    ]
                )
            }
        }
        self.entries[scope] = entry
    }

    /// What can be said about an error without risk of printing a secret: a
    /// ``CredentialError``'s description (which never holds one), else only the error's type.
    private static func safeDescription(of error: any Error) -> String {
        if let error = error as? CredentialError { return error.description }
        return String(describing: type(of: error))
    }
}
