/// A fixed-width text table for a terminal: a header row, columns padded to their widest cell
/// (up to a limit, beyond which a cell is cut with `…`), and no trailing spaces.
///
/// Cells come from queue messages and blob names, so control characters are replaced with spaces
/// to keep one row on one line.
struct TextTable {
    struct Column {
        var title: String
        var maxWidth: Int
        var alignRight: Bool

        init(_ title: String, maxWidth: Int = 60, alignRight: Bool = false) {
            self.title = title
            self.maxWidth = maxWidth
            self.alignRight = alignRight
        }
    }

    var columns: [Column]
    var rows: [[String]] = []

    init(_ columns: [Column]) {
        self.columns = columns
    }

    mutating func append(_ cells: [String]) {
        self.rows.append(cells)
    }

    /// The table, one line per row after the header, each line starting with `indent`.
    func render(indent: String = "") -> String {
        let cells = self.rows.map { row in
            self.columns.indices.map { index in
                Self.fit(index < row.count ? row[index] : "", width: self.columns[index].maxWidth)
            }
        }
        let widths = self.columns.indices.map { index in
            cells.reduce(self.columns[index].title.count) { max($0, $1[index].count) }
        }
        var lines: [String] = []
        for row in [self.columns.map(\.title)] + cells {
            var line = indent
            for (index, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                let isLast = index == row.count - 1
                if index > 0 { line += "  " }
                if self.columns[index].alignRight {
                    line += padding + cell
                } else {
                    line += isLast ? cell : cell + padding
                }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// `text` on one line and at most `width` characters.
    static func fit(_ text: String, width: Int) -> String {
        var line = String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
                        ? " " : scalar
                }
            )
        )
        if line.count > width {
            line = String(line.prefix(max(0, width - 1))) + "…"
        }
        return line
    }
}
