import Foundation
import UnixSignals

/// Makes sure SIGINT and SIGTERM always end the process.
///
/// Graceful shutdown is the service groups' job; this is the backstop for when it cannot
/// happen: a signal that arrives before a group is listening, or after the group's own signal
/// handling is gone, or a shutdown that does not finish. A second signal ends the process at
/// once; after the first, it ends anyway once `limit` has passed.
enum SignalBackstop {
    /// Starts watching, for the rest of the process's life. `command` names it in the message.
    static func install(command: String, limit: Duration) async {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        Task.detached {
            var received = 0
            for await signal in signals {
                received += 1
                if received == 1 {
                    Task.detached {
                        try? await Task.sleep(for: limit)
                        Self.exitNow(
                            "\(command): still running \(limit.components.seconds) s after \(signal): stopping now",
                            code: 1
                        )
                    }
                } else {
                    Self.exitNow("\(command): \(signal) again: stopping now", code: 130)
                }
            }
        }
    }

    private static func exitNow(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code)
    }
}
