/// The last lines of an app's log, for failure messages: bounded in size, control characters
/// other than tab replaced, invalid UTF-8 repaired.
enum LogTail {
    /// The last `lines` lines (at most `bytes` bytes of the file are read).
    static func read(_ path: String, lines: Int = 20, bytes: Int = 8 * 1024) -> String {
        let data = LocalFiles.tail(of: path, limit: bytes)
        let text = String(decoding: data, as: UTF8.self)
        var kept = text.split(separator: "\n", omittingEmptySubsequences: false)
        if kept.last?.isEmpty == true { kept.removeLast() }
        return kept.suffix(lines).map { line in
            String(
                String.UnicodeScalarView(
                    line.unicodeScalars.map { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F ? "?" : $0 }
                )
            )
        }.joined(separator: "\n")
    }
}
