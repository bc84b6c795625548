import Foundation

/// The JSON inside a claim file: who works on a blob version until when, and the progress of the
/// work so far (attempts, step reached, last error). The claim file stays after the work is
/// finished, beside the final record, so an exclusive create of it succeeds only for a version
/// nobody has started.
struct ClaimFile: Codable {
    var owner: String
    var token: String
    var acquiredAt: Date
    var expiresAt: Date
    var pid: Int32
    var host: String
    /// Set when the holder gave the claim up; it then counts as expired.
    var released: Bool?
    /// The work's progress; carried over to whoever takes the claim over.
    var record: CheckpointRecord
}

/// The JSON inside a claim's short-lived lock file; the nonce makes every lock's bytes unique.
struct ClaimLockFile: Codable {
    var owner: String
    var nonce: String
    var pid: Int32
    var host: String
    var takenAt: Date
}

/// Random identifiers for claim tokens and unique file names, from the system generator
/// (`getrandom`), so no file is opened to make one.
enum RandomToken {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next()
        let low = generator.next()
        return Self.hex(high) + Self.hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
