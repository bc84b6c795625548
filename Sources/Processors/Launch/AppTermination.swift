import Glibc
import Processing

/// How an app ended.
enum AppTermination: Sendable, Hashable, CustomStringConvertible {
    /// It exited with this status.
    case exited(Int32)
    /// A signal killed it.
    case signalled(Int32)
    /// Its status could not be read (someone else reaped it); the error number says why.
    case lost(Int32)

    /// From a `waitpid` status.
    init(waitStatus status: Int32) {
        let signal = status & 0x7F
        self = signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }

    /// `sysexits.h`: the input data was incorrect; trying again cannot help.
    static let badInput: Int32 = 65
    /// `sysexits.h`: a temporary failure; the app asks to be run again later.
    static let temporaryFailure: Int32 = 75

    var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signalled(let signal): "was killed by signal \(signal) (\(String(cString: strsignal(signal))))"
        case .lost(let error): "ended, but its exit status could not be read (\(String(cString: strerror(error))))"
        }
    }

    /// The failure this ending means, or nil for exit status 0. 65 is permanent (bad input), 75
    /// and everything else retryable; `logTail` (the end of the app's log) goes in the message.
    func failure(logTail: String) -> ProcessingFailure? {
        let reason: String
        var permanent = false
        switch self {
        case .exited(0): return nil
        case .exited(Self.badInput):
            reason = "app-exit-65"
            permanent = true
        case .exited(let code): reason = "app-exit-\(code)"
        case .signalled(let signal): reason = "app-signal-\(signal)"
        case .lost: reason = "app-status-lost"
        }
        var message = "the app \(self)"
        if self == .exited(Self.badInput) { message += " (bad input; not retried)" }
        if self == .exited(Self.temporaryFailure) { message += " (temporary failure; will be retried)" }
        message += logTail.isEmpty ? "; app.log is empty" : "; last lines of app.log:\n" + logTail
        return ProcessingFailure(permanent ? .permanent : .retryable, reason: .init(reason), message: message)
    }
}
