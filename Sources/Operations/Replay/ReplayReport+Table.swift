extension ReplayReport {
    /// A fixed-width table of the rows, then the notes, then one summary line such as
    /// `moved 3 of 5 dead letters; 2 did not match the filter`.
    public func table() -> String {
        var sections: [String] = []
        if !self.rows.isEmpty {
            var table = TextTable([
                .init("MESSAGE ID", maxWidth: 36),
                .init("EVENT ID", maxWidth: 36),
                .init("BLOB", maxWidth: 48),
                .init("REASON", maxWidth: 24),
                .init("ATTEMPTS", alignRight: true),
                .init("AGE", alignRight: true),
                .init("ACTION", maxWidth: 160),
            ])
            for row in self.rows {
                var action = row.action.description
                if let note = row.note { action += " (\(note))" }
                table.append([
                    row.messageID, row.eventID ?? "-", row.blob ?? "(undecodable)", row.reason ?? "-",
                    row.attempts.map(String.init) ?? "-", AgeFormat.short(row.age), action,
                ])
            }
            sections.append(table.render())
        }
        if !self.notes.isEmpty {
            sections.append(self.notes.map { "note: " + TextTable.fit($0, width: 400) }.joined(separator: "\n"))
        }
        sections.append(self.summary)
        return sections.joined(separator: "\n\n") + "\n"
    }

    /// One line: how many dead letters were moved (or would be) of how many, and why the others
    /// were not.
    public var summary: String {
        let counts = self.counts
        let queue = TextTable.fit(self.poisonQueue, width: 63)
        guard counts.total > 0 else { return "no dead letters in the poison queue '\(queue)'" }
        let noun = counts.total == 1 ? "dead letter" : "dead letters"
        var parts = [
            self.dryRun
                ? "dry run: would move \(counts.wouldMove) of \(counts.total) \(noun); nothing was changed"
                : "moved \(counts.moved) of \(counts.total) \(noun)"
        ]
        if counts.skippedFilter > 0 {
            parts.append("\(counts.skippedFilter) did not match the filter")
        }
        if counts.skippedLimit > 0 {
            parts.append("\(counts.skippedLimit) left by the limit")
        }
        if counts.failed > 0 {
            parts.append("\(counts.failed) failed")
        }
        return parts.joined(separator: "; ")
    }
}
