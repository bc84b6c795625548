/// A shell-style pattern over blob names: `*` matches any run of characters (`/` included, so
/// `scans/*.tif` reaches into sub-folders), `?` matches exactly one, everything else matches
/// itself, case-sensitively.
struct GlobPattern: Sendable, Hashable {
    private let pattern: [Unicode.Scalar]

    init(_ pattern: String) {
        self.pattern = Array(pattern.unicodeScalars)
    }

    /// Whether the whole of `text` matches.
    func matches(_ text: String) -> Bool {
        // Two cursors with one backtracking point: the last `*` seen and where its match ended.
        // Linear in practice and never exponential, whatever the pattern.
        let text = Array(text.unicodeScalars)
        var patternIndex = 0
        var textIndex = 0
        var star: (pattern: Int, text: Int)?
        while textIndex < text.count {
            if patternIndex < self.pattern.count, self.pattern[patternIndex] == "*" {
                star = (patternIndex, textIndex)
                patternIndex += 1
            } else if patternIndex < self.pattern.count,
                self.pattern[patternIndex] == "?" || self.pattern[patternIndex] == text[textIndex]
            {
                patternIndex += 1
                textIndex += 1
            } else if let last = star {
                star = (last.pattern, last.text + 1)
                patternIndex = last.pattern + 1
                textIndex = last.text + 1
            } else {
                return false
            }
        }
        while patternIndex < self.pattern.count, self.pattern[patternIndex] == "*" {
            patternIndex += 1
        }
        return patternIndex == self.pattern.count
    }
}
