#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in time as Azure Storage writes it: RFC 1123 in headers and queue XML, ISO 8601 in
/// SAS tokens, listings and events.
///
/// Stored as whole seconds plus a sub-second part in 100-nanosecond ticks (Azure's own precision),
/// so values survive a round trip through any of the textual forms without drift.
public struct StorageDate: Sendable, Hashable, Comparable, Codable {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64
    /// 100-nanosecond ticks within the second, 0..<10_000_000.
    public var ticks: Int32

    /// Creates a date from seconds and ticks since the Unix epoch.
    public init(seconds: Int64, ticks: Int32 = 0) {
        self.seconds = seconds
        self.ticks = ticks
    }

    /// The current wall-clock time.
    public static func now() -> StorageDate {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return StorageDate(seconds: Int64(spec.tv_sec), ticks: Int32(spec.tv_nsec / 100))
    }

    /// Seconds since the epoch as a floating-point number.
    public var timeIntervalSince1970: Double { Double(self.seconds) + Double(self.ticks) / 10_000_000 }

    /// This date moved by a number of seconds.
    public func adding(seconds: Int64) -> StorageDate {
        StorageDate(seconds: self.seconds &+ seconds, ticks: self.ticks)
    }

    /// This date moved by a fractional number of seconds.
    public func adding(interval: Double) -> StorageDate {
        let whole = interval.rounded(.down)
        var seconds = self.seconds + Int64(whole)
        var ticks = Int64(self.ticks) + Int64(((interval - whole) * 10_000_000).rounded())
        if ticks >= 10_000_000 {
            seconds += 1
            ticks -= 10_000_000
        }
        return StorageDate(seconds: seconds, ticks: Int32(ticks))
    }

    public static func < (lhs: StorageDate, rhs: StorageDate) -> Bool {
        (lhs.seconds, lhs.ticks) < (rhs.seconds, rhs.ticks)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = StorageDate(iso8601: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 date: \(text)")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.iso8601(fractionDigits: 7))
    }
}

// MARK: - Formatting

extension StorageDate {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private var brokenDown: tm {
        var time = time_t(self.seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return parts
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`, the form of `Date`, `Last-Modified` and queue message times.
    public var rfc1123: String {
        let t = self.brokenDown
        return "\(Self.weekdays[Int(t.tm_wday)]), \(Self.pad(t.tm_mday, 2)) \(Self.months[Int(t.tm_mon)]) "
            + "\(Self.pad(t.tm_year + 1900, 4)) \(Self.pad(t.tm_hour, 2)):\(Self.pad(t.tm_min, 2)):\(Self.pad(t.tm_sec, 2)) GMT"
    }

    /// `2026-11-21T13:42:24.1234567Z` with the given number of fraction digits (0 omits the dot).
    public func iso8601(fractionDigits: Int = 7) -> String {
        let t = self.brokenDown
        var text =
            "\(Self.pad(t.tm_year + 1900, 4))-\(Self.pad(t.tm_mon + 1, 2))-\(Self.pad(t.tm_mday, 2))T"
            + "\(Self.pad(t.tm_hour, 2)):\(Self.pad(t.tm_min, 2)):\(Self.pad(t.tm_sec, 2))"
        if fractionDigits > 0 {
            let digits = Self.pad(self.ticks, 7)
            text += "." + digits.prefix(min(fractionDigits, 7))
        }
        return text + "Z"
    }

    private static func pad(_ value: some BinaryInteger, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

// MARK: - Parsing

extension StorageDate {
    /// Parses `Sun, 06 Nov 1994 08:49:37 GMT`.
    public init?(rfc1123 text: some StringProtocol) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 6, parts[5] == "GMT",
            let day = Int(parts[1]),
            let monthIndex = Self.months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3])
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2])
        else { return nil }
        guard
            let seconds = Self.epochSeconds(
                year: year,
                month: monthIndex + 1,
                day: day,
                hour: hour,
                minute: minute,
                second: second
            )
        else { return nil }
        self.init(seconds: seconds)
    }

    /// Parses ISO 8601 as Azure uses it: `2026-11-21`, `2026-11-21T13:42Z`, `2026-11-21T13:42:24Z`,
    /// `2026-11-21T13:42:24.1234567Z`, and numeric offsets such as `+01:00`.
    public init?(iso8601 text: some StringProtocol) {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + count] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += count
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(UInt8(ascii: "-")), let month = number(2), expect(UInt8(ascii: "-")),
            let day = number(2)
        else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var ticks = 0
        var offset = 0
        if index < bytes.count {
            guard expect(UInt8(ascii: "T")) || expect(UInt8(ascii: " ")), let h = number(2), expect(UInt8(ascii: ":")),
                let m = number(2)
            else { return nil }
            hour = h
            minute = m
            if expect(UInt8(ascii: ":")) {
                guard let s = number(2) else { return nil }
                second = s
                if expect(UInt8(ascii: ".")) {
                    var digits = 0
                    while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                        if digits < 7 { ticks = ticks * 10 + Int(bytes[index] - 48) }
                        digits += 1
                        index += 1
                    }
                    guard digits > 0 else { return nil }
                    if digits < 7 {
                        for _ in digits..<7 { ticks *= 10 }
                    }
                }
            }
            if expect(UInt8(ascii: "Z")) {
                // UTC
            } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                guard let oh = number(2) else { return nil }
                _ = expect(UInt8(ascii: ":"))
                guard let om = number(2) else { return nil }
                offset = sign * (oh * 3600 + om * 60)
            } else {
                return nil
            }
        }
        guard index == bytes.count,
            let seconds = Self.epochSeconds(
                year: year,
                month: month,
                day: day,
                hour: hour,
                minute: minute,
                second: second
            )
        else { return nil }
        self.init(seconds: seconds - Int64(offset), ticks: Int32(ticks))
    }

    /// Days-from-civil (Howard Hinnant's algorithm), validated field by field.
    private static func epochSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64? {
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute),
            (0...60).contains(second)
        else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }
}
