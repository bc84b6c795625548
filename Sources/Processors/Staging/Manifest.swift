import Foundation

/// `_manifest.json`: what one successful run read and wrote. It is uploaded after every other
/// output, so its presence says the outputs beside it are complete.
struct Manifest: Sendable, Encodable {
    /// The blob version processed.
    struct Source: Sendable, Encodable {
        var container: String
        var blob: String
        /// Without its surrounding quotes.
        var eTag: String
        var contentLength: Int64
        var eventId: String
    }

    /// One uploaded blob.
    struct Output: Sendable, Encodable {
        var name: String
        var size: Int64
        /// Content-MD5, base64.
        var md5: String?
    }

    /// Seconds each step took in this attempt (0 for a step an earlier attempt did).
    struct Timings: Sendable, Encodable {
        var download: Double
        var process: Double
        var upload: Double
    }

    var processor: String
    var source: Source
    /// The app's files, in name order.
    var outputs: [Output]
    /// The app's log.
    var log: Output
    var exitCode: Int32
    var timings: Timings
    var attempt: Int
    /// ISO 8601, UTC.
    var completedAt: String

    /// The manifest as pretty-printed JSON with sorted keys.
    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// The current time as ISO 8601 with milliseconds, for ``completedAt``.
    static func timestamp(_ date: Date = Date()) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
