import BlobEvents
import Crypto
import Processing
import StorageCore

/// The name and labels of the container one attempt runs in.
///
/// The name is unique per attempt, `blobflow-<digest>-<attempt>-<random>`, where the digest
/// (12 hex digits of SHA-256) stands for the blob version, so `docker ps` shows which containers
/// belong to the same blob; blobflow stops and removes its container by this name. The labels say
/// where it came from (`docker ps --filter label=blobflow.event-id=...`); their values are
/// percent-encoded, as event ids and blob names are arbitrary text.
struct ContainerIdentity: Sendable {
    /// The container's name.
    let name: String
    /// Label names and values.
    let labels: [(key: String, value: String)]

    /// The identity of attempt `job.attempt` at `job`'s blob version.
    init(job: ProcessingJob) {
        let item = job.item
        let digest = SHA256.hash(data: Array("\(item.container)/\(item.blobName)\n\(item.eTag)".utf8)).prefix(6)
        let random = (0..<4).map { _ in UInt8.random(in: 0...255) }
        self.name = "blobflow-\(Self.hex(digest))-\(job.attempt)-\(Self.hex(random))"
        self.labels = [
            ("blobflow.event-id", PercentEncoding.encode(item.eventID, keepSlash: true)),
            ("blobflow.source", PercentEncoding.encode(item.container + "/" + item.blobName, keepSlash: true)),
            ("blobflow.etag", PercentEncoding.encode(EntityTag.unquoted(item.eTag), keepSlash: true)),
            ("blobflow.attempt", String(job.attempt)),
        ]
    }

    /// `--name=...` and a `--label=KEY=VALUE` for each label.
    var options: [String] {
        ["--name=\(self.name)"] + self.labels.map { "--label=\($0.key)=\($0.value)" }
    }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] }, as: UTF8.self)
    }
}
