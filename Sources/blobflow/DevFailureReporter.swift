import Checkpoints
import Foundation
import Logging
import ServiceLifecycle

/// The failure half of the dev screen: a file that is dead-lettered gets a folder in the outputs
/// folder too, `outputs/<name>/_failed.txt`, saying why (the reason and the error, which quotes
/// the end of the app's log), and one line on the screen pointing there. Records already
/// reported (their `_failed.txt` exists) are not reported again after a restart.
struct DevFailureReporter: Service {
    static let fileName = "_failed.txt"

    let store: CheckpointStore
    let container: String
    let outputs: String
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var reported: Set<String> = []
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let records = (try? self.store.deadLetters()) ?? []
            for record in records {
                guard let key = record.key, key.container == self.container, !reported.contains(record.fileStem(key))
                else { continue }
                reported.insert(record.fileStem(key))
                self.report(record, blob: key.blobName)
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }

    private func report(_ record: DeadLetterRecord, blob: String) {
        let folder = self.outputs + "/" + blob + "/"
        let path = folder + Self.fileName
        if let existing = FileManager.default.contents(atPath: path),
            String(decoding: existing, as: UTF8.self).contains(Self.stamp(record))
        {
            return  // reported before a restart
        }
        let text = """
            \(blob) was dead-lettered: it is not retried until you replay it.
            reason: \(record.reason)
            attempts: \(record.attempts)
            \(Self.stamp(record))

            last error (with the end of the app's log):
            \(record.lastError ?? "none recorded")

            """
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            self.logger.warning("could not write \(path)", metadata: ["error": "\(error)"])
        }
        let attempts = record.attempts == 1 ? "1 attempt" : "\(record.attempts) attempts"
        self.logger.error(
            "\(blob): failed after \(attempts) (\(record.reason)); reason and app log in \(folder)\(Self.fileName)"
        )
    }

    static func stamp(_ record: DeadLetterRecord) -> String {
        "dead-lettered at: \(record.deadLetteredAt.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))"
    }
}

extension DeadLetterRecord {
    fileprivate func fileStem(_ key: CheckpointKey) -> String {
        key.digest + "@" + "\(self.deadLetteredAt.timeIntervalSince1970)"
    }
}
