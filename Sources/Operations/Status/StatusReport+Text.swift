import Checkpoints
import Foundation

extension StatusReport {
    /// The report laid out for a terminal: queues, checkpoints by step, claims and dead letters,
    /// then a table of recent failures.
    public func text() -> String {
        var lines: [String] = ["blobflow status at \(AgeFormat.timestamp(self.generatedAt))", ""]

        lines.append("Queues")
        var queues = TextTable([
            .init("", maxWidth: 12),
            .init("NAME", maxWidth: 63),
            .init("MESSAGES", alignRight: true),
            .init("NOTE", maxWidth: 200),
        ])
        for (label, queue) in [("work", self.queue), ("poison", self.poisonQueue)] {
            queues.append([label, queue.name, queue.approximateMessageCount.map(String.init) ?? "?", queue.note ?? ""])
        }
        lines.append(queues.render(indent: "  "))
        lines.append("")

        let counts = self.checkpoints
        lines.append("Checkpoints (\(counts.total) record\(counts.total == 1 ? "" : "s"))")
        var steps = TextTable([.init("STEP"), .init("RECORDS", alignRight: true)])
        for step in CheckpointStep.allCases {
            steps.append([step.rawValue, String(counts.count(step.rawValue))])
        }
        for (key, value) in counts.byStep.sorted(by: { $0.key < $1.key }) where CheckpointStep(rawValue: key) == nil {
            steps.append([key, String(value)])
        }
        if counts.unreadable > 0 {
            steps.append(["unreadable", String(counts.unreadable)])
        }
        lines.append(steps.render(indent: "  "))
        lines.append("")
        lines.append("Claims         \(counts.activeClaims) active, \(counts.expiredClaims) expired")
        lines.append("Dead letters   \(counts.deadLetterRecords) record\(counts.deadLetterRecords == 1 ? "" : "s")")
        lines.append("")

        if self.recentFailures.isEmpty {
            lines.append("Recent failures: none")
        } else {
            lines.append("Recent failures (newest first)")
            var failures = TextTable([
                .init("WHEN", maxWidth: 20),
                .init("BLOB", maxWidth: 48),
                .init("STEP", maxWidth: 14),
                .init("ATTEMPTS", alignRight: true),
                .init("REASON", maxWidth: 24),
                .init("LAST ERROR", maxWidth: 120),
            ])
            for failure in self.recentFailures {
                failures.append([
                    AgeFormat.timestamp(failure.at), failure.blob ?? "(undecodable message)", failure.step,
                    String(failure.attempts),
                    failure.deadLetterReason ?? "-", failure.lastError ?? "-",
                ])
            }
            lines.append(failures.render(indent: "  "))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
