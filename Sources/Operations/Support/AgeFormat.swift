import Foundation

/// Short, human forms of ages and times for the text reports.
enum AgeFormat {
    /// `42s`, `12m`, `3h 5m`, `2d 4h`: the two largest units that matter.
    static func short(_ duration: Duration) -> String {
        let total = max(0, duration.components.seconds)
        let days = total / 86_400
        let hours = total % 86_400 / 3_600
        let minutes = total % 3_600 / 60
        let seconds = total % 60
        if days > 0 { return hours > 0 ? "\(days)d \(hours)h" : "\(days)d" }
        if hours > 0 { return minutes > 0 ? "\(hours)h \(minutes)m" : "\(hours)h" }
        if minutes > 0 { return seconds > 0 ? "\(minutes)m \(seconds)s" : "\(minutes)m" }
        return "\(seconds)s"
    }

    /// The time between `date` and `now`, never negative.
    static func age(of date: Date, now: Date) -> Duration {
        .milliseconds(Int64((max(0, now.timeIntervalSince(date)) * 1000).rounded()))
    }

    /// `2026-11-21 13:42:24Z`: a UTC time that reads well in a table.
    static func timestamp(_ date: Date) -> String {
        OperationsJSON.formatDate(date).prefix(19).replacingOccurrences(of: "T", with: " ") + "Z"
    }
}
