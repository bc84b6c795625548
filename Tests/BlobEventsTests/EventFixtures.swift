import BlobEvents
import Foundation

/// The queue message corpus in `Tests/Fixtures/events`, the filter it assumes, and builders for
/// variations of its events.
enum EventFixtures {
    /// `Tests/Fixtures/events`, found from this file's path.
    static let folder: String = {
        let tests = #filePath.split(separator: "/").dropLast(2).joined(separator: "/")
        return "/" + tests + "/Fixtures/events"
    }()

    /// The configuration the corpus README describes: account `contosodata`, input container
    /// `input`, outputs in container `output`.
    static let filter = InputFilter(
        accountName: "contosodata",
        container: "input",
        excludedPrefixes: [(container: "output", prefix: "")],
        blobEndpointHost: "contosodata.blob.core.windows.net"
    )

    /// A corpus file's text.
    static func text(_ name: String) throws -> String {
        try String(contentsOfFile: self.folder + "/" + name, encoding: .utf8)
    }

    /// The message files in the corpus folder.
    static func fileNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: self.folder).filter { $0 != "README.md" }.sorted()
    }

    /// The files the corpus README's table lists.
    static func readmeFileNames() throws -> [String] {
        try self.text("README.md").split(separator: "\n").compactMap { line -> String? in
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = cells.first, first.hasSuffix(".json") || first.hasSuffix(".txt") else { return nil }
            return first
        }.sorted()
    }

    /// `eventgrid-putblob.json` (converted to CloudEvents 1.0 on request) with changes to its
    /// envelope and its data, as compact JSON. Setting `envelope["data"]` replaces the data
    /// object; setting it to `NSNull()` leaves `data` out.
    static func event(
        schema: EventSchema = .eventGrid,
        _ change: (_ envelope: inout [String: Any], _ data: inout [String: Any]) -> Void = { _, _ in }
    ) -> String {
        let object = (try? JSONSerialization.jsonObject(with: Data(self.putBlob.utf8))) as? [String: Any] ?? [:]
        var envelope = object
        var data = object["data"] as? [String: Any] ?? [:]
        envelope["data"] = nil
        if schema == .cloudEvents {
            envelope["type"] = envelope.removeValue(forKey: "eventType")
            envelope["time"] = envelope.removeValue(forKey: "eventTime")
            envelope["source"] = envelope.removeValue(forKey: "topic")
            envelope["dataVersion"] = nil
            envelope["metadataVersion"] = nil
            envelope["specversion"] = "1.0"
        }
        change(&envelope, &data)
        if envelope["data"] == nil { envelope["data"] = data }
        if envelope["data"] is NSNull { envelope["data"] = nil }
        return self.json(envelope)
    }

    /// An event for `name` in `container`, with a URL made the way Azure makes it.
    static func event(
        container: String = "input",
        name: String,
        api: String = "PutBlob",
        schema: EventSchema = .eventGrid
    ) -> String {
        self.event(schema: schema) { envelope, data in
            envelope["subject"] = BlobEventSubject(container: container, blobName: name).description
            data["api"] = api
            data["url"] = "https://contosodata.blob.core.windows.net/\(container)/" + Self.percentEncoded(name)
        }
    }

    /// A string value ``fillingPlaceholder(_:with:)`` replaces with raw JSON, for members of any type.
    static let placeholder = "@@raw-json@@"

    /// `text` with the quoted ``placeholder`` replaced by `json`.
    static func fillingPlaceholder(_ text: String, with json: String) -> String {
        text.replacingOccurrences(of: "\"" + self.placeholder + "\"", with: json)
    }

    /// Compact JSON of a JSONSerialization value.
    static func json(_ value: Any) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Standard base64 of `text`'s UTF-8.
    static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    private static func percentEncoded(_ name: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }

    private static let putBlob: String = (try? EventFixtures.text("eventgrid-putblob.json")) ?? "{}"
}

/// Deterministic random numbers, so a failing fuzz case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension DecodedMessage {
    /// The work item, if this is work.
    var workItem: BlobWorkItem? {
        if case .work(let item) = self { return item }
        return nil
    }

    /// The skip code, if this is a skip.
    var skipCode: String? {
        if case .skip(let reason, _, _) = self { return reason.code }
        return nil
    }

    /// The poison reason, if this is poison.
    var poison: PoisonReason? {
        if case .poison(let reason) = self { return reason }
        return nil
    }

    /// `work`, `skip:CODE` or `poison:CODE`, for comparing outcomes.
    var outcome: String {
        switch self {
        case .work: "work"
        case .skip(let reason, _, _): "skip:" + reason.code
        case .poison(let reason): "poison:" + reason.code
        }
    }
}
