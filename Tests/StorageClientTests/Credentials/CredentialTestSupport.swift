import Foundation
import Logging
import StorageHTTP
import Synchronization
import Testing

@testable import StorageClient

/// Every token credential test, nested by credential: `swift test --filter StorageClientTests.CredentialTests`.
@Suite(.timeLimit(.minutes(1)))
struct CredentialTests {}

/// Quick retries, so failure tests take milliseconds. The per-attempt limits are generous: on a
/// loaded machine a reply from the local token server can take seconds, and a timed-out attempt
/// would be retried, changing the request counts the tests check. Tests about timeouts set
/// their own.
let fastRetries = TokenRequestRetryPolicy(
    maxRetries: 2,
    backoff: .milliseconds(10),
    goneBackoff: .milliseconds(10),
    maxDelay: .milliseconds(50),
    attemptTimeout: .seconds(40),
    probeTimeout: .seconds(40)
)

/// A logger that drops everything, for tests that make renewals fail on purpose.
let quietLogger = Logger(label: "credential-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// The wall clock in seconds since 1970.
func currentTime() -> Int64 {
    Int64(Date().timeIntervalSince1970)
}

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let seconds: Atomic<Int64>

    init(_ start: Int64 = 1_800_000_000) {
        self.seconds = Atomic(start)
    }

    var now: @Sendable () -> Int64 {
        { self.seconds.load(ordering: .relaxed) }
    }

    func advance(by seconds: Int64) {
        self.seconds.add(seconds, ordering: .relaxed)
    }
}

/// A credential that answers from a script and counts its calls.
final class ScriptedCredential: TokenCredential {
    private let script: Mutex<[Result<AccessToken, CredentialError>]>
    private let callCount = Atomic(0)

    init(_ script: [Result<AccessToken, CredentialError>]) {
        self.script = Mutex(script)
    }

    var calls: Int { self.callCount.load(ordering: .relaxed) }

    func token(forScope scope: String) async throws -> AccessToken {
        self.callCount.add(1, ordering: .relaxed)
        let next = self.script.withLock { script -> Result<AccessToken, CredentialError>? in
            script.isEmpty ? nil : script.removeFirst()
        }
        guard let next else { throw CredentialError.authenticationFailed("ScriptedCredential", "the script ran out") }
        return try next.get()
    }
}

/// A file in a fresh temporary folder, removed when `body` ends.
func withTemporaryFile<Result>(
    contents: String,
    _ body: (String) async throws -> Result
) async throws -> Result {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
        "credential-tests-\(UInt64.random(in: 0...UInt64.max))"
    )
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("azure-identity-token").path
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
    return try await body(path)
}

/// Runs `body` and returns the ``CredentialError`` it throws; records an issue when it throws
/// something else or nothing.
func credentialError(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> AccessToken
) async -> CredentialError? {
    do {
        let token = try await body()
        Issue.record("expected a CredentialError, got \(token)", sourceLocation: sourceLocation)
        return nil
    } catch let error as CredentialError {
        return error
    } catch {
        Issue.record("expected a CredentialError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A log handler that keeps every line (message and metadata) for inspection.
struct LogCapture: LogHandler {
    private final class Storage: Sendable {
        let lines = Mutex<[String]>([])
    }

    private let storage = Storage()
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var lines: [String] { self.storage.lines.withLock { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let metadata = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
            separator: " "
        )
        self.storage.lines.withLock { $0.append("\(event.level) \(event.message) \(metadata)") }
    }
}
