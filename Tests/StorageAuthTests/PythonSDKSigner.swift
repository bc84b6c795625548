import Foundation

/// Runs `Tests/Interop/tools/sdk_signatures.py` in the repository's virtual environment, so the
/// official Azure SDK for Python computes signatures for the same inputs StorageAuth signs.
///
/// `scripts/setup.sh` (and so `scripts/test.sh`) creates `.venv`; without it the cross-check
/// tests are disabled rather than failed.
enum PythonSDKSigner {
    /// One input of the tool; absent fields are left out of the JSON.
    struct Case: Encodable, Sendable {
        var id: String
        var kind: String
        var account: String
        var key: String?
        // Shared Key
        var service: String?
        var method: String?
        var url: String?
        var headers: [[String]]?
        var body: String?
        // SAS
        var resource: String?
        var container: String?
        var blob: String?
        var queue: String?
        var services: String?
        var resourceTypes: String?
        var permission: String?
        var expiry: String?
        var start: String?
        var ip: String?
        var `protocol`: String?
        var policyID: String?
        var cacheControl: String?
        var contentDisposition: String?
        var contentEncoding: String?
        var contentLanguage: String?
        var contentType: String?
        var encryptionScope: String?
        var snapshot: String?
        var versionID: String?
        var correlationID: String?
        var preauthorizedAgentObjectID: String?
        var agentObjectID: String?
        var delegatedUserObjectID: String?
        var directoryDepth: Int?
        var userDelegationKey: [String: String]?

        init(id: String, kind: String, account: String, key: String?) {
            self.id = id
            self.kind = kind
            self.account = account
            self.key = key
        }
    }

    /// What the SDK computed for one case.
    struct Result: Decodable, Sendable {
        var id: String
        /// The string the SDK signed (Shared Key and SAS).
        var stringToSign: String?
        /// The `Authorization` header (Shared Key).
        var authorization: String?
        /// The SAS token, `name=value&...` percent-encoded (SAS).
        var query: String?
        /// The service version the SDK signs SAS tokens with (SAS).
        var version: String?
        /// Set when the SDK raised instead.
        var error: String?
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The repository root, found from this file's path.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = repositoryRoot.appendingPathComponent(".venv/bin/python")
    static let tool = repositoryRoot.appendingPathComponent("Tests/Interop/tools/sdk_signatures.py")

    /// Whether the virtual environment with the SDK exists.
    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: Self.python.path)
    }

    /// Runs the tool once over `cases`; the results by case id.
    static func run(_ cases: [Case]) throws -> [String: Result] {
        let process = Process()
        process.executableURL = Self.python
        process.arguments = [Self.tool.path]
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment["PYTHONIOENCODING"] = "utf-8"
        process.environment = environment
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()

        // The tool reads all of its input before writing anything, so writing first cannot deadlock.
        input.fileHandleForWriting.write(try JSONEncoder().encode(cases))
        try input.fileHandleForWriting.close()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description:
                    "sdk_signatures.py exited with \(process.terminationStatus): \(String(decoding: stderr, as: UTF8.self))"
            )
        }
        let results = try JSONDecoder().decode([Result].self, from: stdout)
        return Dictionary(results.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
