import Foundation

/// The JSON inside a claim file.
struct ClaimFile: Codable {
    var owner: String
    var token: String
    var acquiredAt: Date
    var expiresAt: Date
    var pid: Int32
    var host: String
    var account: String
    var container: String
    var blobName: String
    var eTag: String
}

/// The JSON inside a claim's short-lived lock file; the nonce makes every lock's bytes unique.
struct ClaimLockFile: Codable {
    var owner: String
    var nonce: String
    var pid: Int32
    var host: String
    var takenAt: Date
}
