import StorageCore

/// Numbers as a person would write them on the dev screen: with units, sensible precision and
/// plurals ("1.2 KiB", "0.42 s", "1 event", "3 outputs").
public enum HumanText {
    /// A size in bytes with a binary unit: "196 bytes", "1 byte", "12.4 KiB", "200 MiB".
    public static func bytes(_ count: Int64) -> String {
        if count < 1024 { return Self.count(Int(count), "byte") }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return Self.decimal(value) + " " + units[unit]
    }

    /// A duration: "0.076 s" below ten seconds is shown as "76 ms"; "1.4 s"; "2 min 05 s".
    public static func duration(_ duration: Duration) -> String {
        Self.seconds(duration.fractionalSeconds)
    }

    /// Seconds as in `duration(_:)`.
    public static func seconds(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return Self.decimal(seconds) + " s" }
        let whole = Int(seconds.rounded())
        let remainder = whole % 60
        return "\(whole / 60) min \(remainder < 10 ? "0" : "")\(remainder) s"
    }

    /// "1 file", "2 files", "0 files"; `plural` when adding "s" is wrong.
    public static func count(_ count: Int, _ singular: String, plural: String? = nil) -> String {
        "\(count) \(count == 1 ? singular : (plural ?? singular + "s"))"
    }

    /// Three significant figures at most, no trailing zeros: 1.24, 12.4, 124.
    static func decimal(_ value: Double) -> String {
        let digits = value < 10 ? 2 : (value < 100 ? 1 : 0)
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = "\(rounded)"
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
}
