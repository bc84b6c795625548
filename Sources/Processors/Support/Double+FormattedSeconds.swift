extension Double {
    /// Seconds with millisecond precision, for log metadata.
    var formattedSeconds: String {
        let milliseconds = (self * 1000).rounded()
        let whole = Int(milliseconds) / 1000
        let fraction = Int(milliseconds) % 1000
        return "\(whole)." + String(repeating: "0", count: 3 - String(fraction).count) + String(fraction)
    }
}
