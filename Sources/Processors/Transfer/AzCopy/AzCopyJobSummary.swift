/// What azcopy's `EndOfJob` message says about a finished job. azcopy writes its numbers as
/// strings; either form is read.
struct AzCopyJobSummary: Sendable, Hashable, Decodable {
    /// One transfer that did not succeed.
    struct FailedTransfer: Sendable, Hashable, Decodable {
        /// The source (a local path or a URL; URLs carry a SAS, redacted by azcopy).
        var source: String
        /// The destination.
        var destination: String
        /// azcopy's error code: usually the HTTP status of the failed request.
        var errorCode: String
        /// `Failed`, `SkippedEntityAlreadyExists`, ...
        var status: String

        private enum CodingKeys: String, CodingKey {
            case source = "Src"
            case destination = "Dst"
            case errorCode = "ErrorCode"
            case status = "TransferStatus"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.source = try container.decodeIfPresent(String.self, forKey: .source) ?? ""
            self.destination = try container.decodeIfPresent(String.self, forKey: .destination) ?? ""
            self.errorCode = try AzCopyJobSummary.text(container, .errorCode)
            self.status = try container.decodeIfPresent(String.self, forKey: .status) ?? ""
        }
    }

    /// `Completed`, `CompletedWithErrors`, `CompletedWithSkipped`, `Failed`, `Cancelled`, ...
    var jobStatus: String
    var transfersCompleted: Int64
    var transfersFailed: Int64
    var transfersSkipped: Int64
    var totalBytesTransferred: Int64
    /// The transfers that failed, and those skipped (azcopy lists them apart).
    var failedTransfers: [FailedTransfer]
    /// azcopy's own error message for the job, often empty.
    var errorMessage: String

    private enum CodingKeys: String, CodingKey {
        case jobStatus = "JobStatus"
        case transfersCompleted = "TransfersCompleted"
        case transfersFailed = "TransfersFailed"
        case transfersSkipped = "TransfersSkipped"
        case totalBytesTransferred = "TotalBytesTransferred"
        case failedTransfers = "FailedTransfers"
        case skippedTransfers = "SkippedTransfers"
        case errorMessage = "ErrorMsg"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.jobStatus = try container.decodeIfPresent(String.self, forKey: .jobStatus) ?? ""
        self.transfersCompleted = try Self.count(container, .transfersCompleted)
        self.transfersFailed = try Self.count(container, .transfersFailed)
        self.transfersSkipped = try Self.count(container, .transfersSkipped)
        self.totalBytesTransferred = try Self.count(container, .totalBytesTransferred)
        self.failedTransfers = (try container.decodeIfPresent([FailedTransfer].self, forKey: .failedTransfers) ?? [])
            + (try container.decodeIfPresent([FailedTransfer].self, forKey: .skippedTransfers) ?? [])
        self.errorMessage = try container.decodeIfPresent(String.self, forKey: .errorMessage) ?? ""
    }

    /// Whether the job did exactly what a single-file copy should: one transfer completed, none
    /// failed or skipped, status `Completed`.
    var isCompleteSingleTransfer: Bool {
        self.jobStatus == "Completed" && self.transfersCompleted == 1 && self.transfersFailed == 0 && self.transfersSkipped == 0
    }

    /// A count written as a string (azcopy's way) or a number; 0 when absent.
    private static func count<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> Int64 {
        if let number = try? container.decodeIfPresent(Int64.self, forKey: key) { return number }
        guard let text = try container.decodeIfPresent(String.self, forKey: key), !text.isEmpty else { return 0 }
        guard let number = Int64(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "'\(text)' is not a count")
        }
        return number
    }

    /// A value written as a string or a number, as text; "" when absent.
    fileprivate static func text<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> String {
        if let number = try? container.decodeIfPresent(Int64.self, forKey: key) { return String(number) }
        return try container.decodeIfPresent(String.self, forKey: key) ?? ""
    }
}
