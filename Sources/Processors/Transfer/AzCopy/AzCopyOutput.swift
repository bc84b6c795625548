import Foundation
import Glibc

/// What azcopy said on stdout and stderr with `--output-type json`: one JSON object per line,
/// `{TimeStamp, MessageType, MessageContent, PromptDetails}`, where the content of `Init`,
/// `Progress` and `EndOfJob` messages is itself JSON in a string. Lines that are not such
/// objects (a Go panic, anything on stderr) are kept as text.
struct AzCopyOutput: Sendable {
    /// The job's id, from the `Init` message.
    var jobID: String?
    /// The `EndOfJob` message; nil when azcopy never reported the end of a job.
    var summary: AzCopyJobSummary?
    /// azcopy's `Error` messages, condensed (see ``condensed(_:)``).
    var errors: [String] = []
    /// `Info` messages that report a failure (azcopy reports refused requests this way), condensed.
    var failureNotes: [String] = []
    /// The last lines that were not azcopy messages.
    var otherLines: [String] = []

    private static let keptMessages = 5
    private static let keptOtherLines = 10

    private struct Message: Decodable {
        var type: String
        var content: String?

        private enum CodingKeys: String, CodingKey {
            case type = "MessageType"
            case content = "MessageContent"
        }
    }

    private struct InitContent: Decodable {
        var jobID: String?

        private enum CodingKeys: String, CodingKey {
            case jobID = "JobID"
        }
    }

    /// Reads the messages in the file at `path`, line by line.
    static func read(_ path: String) -> AzCopyOutput {
        var output = AzCopyOutput()
        guard let file = fopen(path, "re") else { return output }
        defer { fclose(file) }
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        while true {
            let length = getline(&buffer, &capacity, file)
            guard length >= 0, let buffer else { break }
            let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
            output.consume(String(decoding: bytes, as: UTF8.self))
        }
        return output
    }

    /// Takes in one line of output.
    mutating func consume(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return }
        guard trimmed.hasPrefix("{"), let message = try? JSONDecoder().decode(Message.self, from: Data(trimmed.utf8)) else {
            self.otherLines.append(String(trimmed.prefix(500)))
            if self.otherLines.count > Self.keptOtherLines { self.otherLines.removeFirst() }
            return
        }
        let content = message.content ?? ""
        switch message.type {
        case "Init":
            self.jobID = (try? JSONDecoder().decode(InitContent.self, from: Data(content.utf8)))?.jobID
        case "EndOfJob":
            self.summary = try? JSONDecoder().decode(AzCopyJobSummary.self, from: Data(content.utf8))
            if self.summary == nil { self.errors.append("azcopy's end-of-job report could not be read: " + String(content.prefix(300))) }
        case "Error":
            Self.append(Self.condensed(content), to: &self.errors)
        case "Info", "Warning":
            let lowered = content.lowercased()
            if lowered.contains("fail") || lowered.contains("error") || lowered.contains("denied") {
                Self.append(Self.condensed(content), to: &self.failureNotes)
            }
        default:
            break
        }
    }

    /// Why the job cannot be taken for a successful copy of one file, with azcopy's own words;
    /// nil when it can. `logFindings` supplies the errors azcopy wrote to its log file, read only
    /// when needed. The result is not yet redacted.
    func failure(termination: AppTermination, logFindings: () -> [String]) -> AzCopyError? {
        guard let summary = self.summary else {
            var parts = ["azcopy ended without reporting the end of its job (it \(termination))"]
            parts += self.errors + self.failureNotes
            if self.errors.isEmpty, self.failureNotes.isEmpty { parts += logFindings() + self.otherLines.suffix(5) }
            return AzCopyError(.incomplete, message: Self.joined(parts), termination: "\(termination)")
        }
        if summary.isCompleteSingleTransfer, termination == .exited(0) { return nil }
        var parts = [
            "azcopy reported job \(summary.jobStatus.isEmpty ? "with no status" : summary.jobStatus): \(summary.transfersCompleted) completed, "
                + "\(summary.transfersFailed) failed, \(summary.transfersSkipped) skipped"
        ]
        if summary.isCompleteSingleTransfer { parts[0] += ", but it \(termination)" }
        if !summary.errorMessage.isEmpty { parts.append(Self.condensed(summary.errorMessage)) }
        parts += self.errors + self.failureNotes
        for transfer in summary.failedTransfers.prefix(3) {
            parts.append("transfer \(transfer.status.isEmpty ? "failed" : transfer.status) with error code \(transfer.errorCode.isEmpty ? "(none)" : transfer.errorCode)")
        }
        if !summary.failedTransfers.isEmpty || (self.errors.isEmpty && self.failureNotes.isEmpty) {
            parts += logFindings()
        }
        return AzCopyError(
            .transferFailed, message: Self.joined(parts), jobStatus: summary.jobStatus,
            transferErrorCodes: summary.failedTransfers.map(\.errorCode).filter { !$0.isEmpty }, termination: "\(termination)"
        )
    }

    /// The failures azcopy wrote to the job's log file (`ERR:` lines and the service's error
    /// replies), the last few, condensed.
    static func logFindings(logFile path: String) -> [String] {
        let text = String(decoding: LocalFiles.tail(of: path, limit: 64 * 1024), as: UTF8.self)
        let findings = text.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            let line = line.trimmingCharacters(in: .whitespaces)
            if let marker = line.range(of: "ERR: ") { return String(line[marker.lowerBound...]) }
            if line.hasPrefix("Response Details:") {
                return line.replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&quot;", with: "\"")
            }
            return nil
        }
        return findings.suffix(4).map { "log: " + String($0.prefix(400)) }
    }

    /// A multi-line azcopy error reduced to what explains it: the first line (without the Go
    /// source locations azcopy appends), the service's error code, description, request id and
    /// status; the HTTP headers it dumps are dropped.
    static func condensed(_ text: String) -> String {
        var kept: [String] = []
        for (index, rawLine) in text.split(whereSeparator: \.isNewline).enumerated() {
            var line = Substring(rawLine.trimmingCharacters(in: .whitespaces))
            if let location = line.range(of: " -> github.com/") { line = line[..<location.lowerBound] }
            let plain = line.trimmingCharacters(in: CharacterSet(charactersIn: "= "))
            guard !plain.isEmpty, plain != "." else { continue }
            if index == 0 || plain.hasPrefix("Description=") || plain.contains("ServiceCode=") || plain.hasPrefix("RequestId:")
                || plain.hasPrefix("RESPONSE Status:") || plain.hasPrefix("Code:")
            {
                kept.append(plain)
            }
        }
        return String(kept.joined(separator: " | ").prefix(800))
    }

    private static func append(_ text: String, to list: inout [String]) {
        guard !text.isEmpty, !list.contains(text), list.count < Self.keptMessages else { return }
        list.append(text)
    }

    private static func joined(_ parts: [String]) -> String {
        String(parts.joined(separator: "; ").prefix(4000))
    }
}
