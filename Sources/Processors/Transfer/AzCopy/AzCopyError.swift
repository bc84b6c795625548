/// A transfer azcopy did not complete, in azcopy's own words.
///
/// Failures the processors act on in particular are thrown as `StorageError`s instead, as the
/// native engine throws them: a blob that is gone (`isNotFound`), one replaced since the event
/// (`isConditionNotMet`), a full disk (`isDiskFull`), a size or MD5 mismatch.
///
/// Its text never contains a SAS signature.
public struct AzCopyError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case notStartable
            case invalidRequest
            case transferFailed
            case incomplete
            case workFolder
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The azcopy program is missing or cannot be run.
        public static let notStartable = Code(.notStartable)
        /// The engine refused the transfer before starting azcopy (metadata azcopy cannot carry,
        /// an unknown sign-in type).
        public static let invalidRequest = Code(.invalidRequest)
        /// azcopy ran and reported failed or skipped transfers, or a job status other than
        /// `Completed`, or exited with a non-zero status.
        public static let transferFailed = Code(.transferFailed)
        /// azcopy ended without reporting the end of its job (it failed before starting it, or
        /// was killed).
        public static let incomplete = Code(.incomplete)
        /// The folder for azcopy's logs and job plans could not be created.
        public static let workFolder = Code(.workFolder)

        public var description: String {
            switch self.base {
            case .notStartable: "not startable"
            case .invalidRequest: "invalid request"
            case .transferFailed: "transfer failed"
            case .incomplete: "incomplete"
            case .workFolder: "work folder"
            }
        }
    }

    /// What kind of failure.
    public let code: Code
    /// What went wrong: how azcopy ended and what blobflow's own check of the blob found (in pipe
    /// mode azcopy reports nothing but its exit status).
    public let message: String
    /// How the azcopy process ended (`exited with status 1`), when it ran.
    public let termination: String?

    init(
        _ code: Code,
        message: String,
        termination: String? = nil
    ) {
        self.code = code
        self.message = message
        self.termination = termination
    }

    public var description: String {
        var text = "azcopy \(self.code): \(self.message)"
        var facts: [String] = []
        if let termination = self.termination { facts.append("azcopy \(termination)") }
        if !facts.isEmpty { text += " (" + facts.joined(separator: "; ") + ")" }
        return text
    }
}

extension AzCopyError {
    /// A pipe-mode run that did not succeed. azcopy reports nothing in pipe mode but its exit
    /// status (its messages are switched off so they cannot mix with the bytes), so the text says
    /// how it ended, what blobflow moved, and anything azcopy wrote to stderr.
    static func pipeFailure(_ run: AzCopyRunner.PipedRun) -> AzCopyError {
        var parts = ["azcopy \(run.termination) in pipe mode, which reports no reason of its own"]
        switch run.moved {
        case .success(let moved): parts.append("\(moved.size) bytes went through the pipe")
        case .failure(.peerClosed): parts.append("it stopped reading the file before its end")
        case .failure(.localFile(let error)): parts.append("\(error)")
        }
        parts.append("check that the SAS or identity may access the blob")
        parts += run.stderr.map { "stderr: " + $0 }
        return AzCopyError(.transferFailed, message: parts.joined(separator: "; "), termination: "\(run.termination)")
    }
}
