/// A strict reader of ISO 8601 times for text that comes from outside (MQTT payloads, SCL values,
/// command-line options): `2024-05-01T12:00:00Z`, with a fraction of a second of any length (read to the
/// millisecond), a `±HH:MM` offset instead of `Z`, or a date alone (midnight UTC).
///
/// Foundation's `ISO8601DateFormatter` is not used on such text: ICU traps (a division by zero) on a
/// fraction with a hundred digits, which took the gateway down through one MQTT message.
public enum ISO8601Time {
    /// Milliseconds since 1970-01-01 UTC, or nil for anything else (including times before 1970 and
    /// after 2106, which a UtcTime cannot hold).
    public static func milliseconds(_ text: some StringProtocol) -> UInt64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 10, bytes.count <= 64 else { return nil }
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<(index + digits)] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            index += digits
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2) else { return nil }
        guard (1970...2106).contains(year), (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        if index == bytes.count { return UInt64(days) * 86_400_000 }
        guard expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2) else { return nil }
        guard hour < 24, minute < 60, second <= 60 else { return nil }
        var milliseconds = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: ",") {
            index += 1
            var digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                if digits < 3 { milliseconds = milliseconds * 10 + Int(bytes[index] - UInt8(ascii: "0")) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { milliseconds *= 10 }
        }
        var offset = 0
        if expect("Zz") {
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let hours = number(2), hours < 24 else { return nil }
            _ = expect(":")
            guard let minutes = number(2), minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        guard seconds >= 0, seconds < Int(UInt32.max) else { return nil }
        return UInt64(seconds) * 1000 + UInt64(milliseconds)
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (years 1970 and later).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        var days = 0
        for past in 1970..<year { days += isLeap(past) ? 366 : 365 }
        for past in 1..<month { days += daysIn(month: past, year: year) }
        return days + day - 1
    }
}
