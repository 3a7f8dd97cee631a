/// A proleptic Gregorian date in UTC, from a count of days since 1970-01-01.
public struct CivilDate: Sendable, Equatable {
    public let year: Int64
    public let month: Int64
    public let day: Int64

    /// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
    public init(daysSince1970 days: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * shifted + 2) / 5 + 1
        month = shifted < 10 ? shifted + 3 : shifted - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// UTC milliseconds since 1970 as the date, the time of day's parts and the milliseconds, each padded
    /// (`"2026"`, `"12"`, `"05"`, `"09"`, `"21"`, `"07"`, `"042"`): the parts every text time format here is made of.
    public static func parts(ofMilliseconds milliseconds: UInt64) -> (date: CivilDate, hour: String, minute: String, second: String, millisecond: String) {
        let seconds = milliseconds / 1000
        let time = seconds % 86_400
        let fraction = milliseconds % 1000
        let millis = fraction < 10 ? "00\(fraction)" : fraction < 100 ? "0\(fraction)" : "\(fraction)"
        return (CivilDate(daysSince1970: Int64(seconds / 86_400)), twoDigits(time / 3600), twoDigits(time / 60 % 60), twoDigits(time % 60), millis)
    }

    /// The month, zero-padded to two digits.
    public var paddedMonth: String { Self.twoDigits(month) }
    /// The day, zero-padded to two digits.
    public var paddedDay: String { Self.twoDigits(day) }

    static func twoDigits(_ value: some BinaryInteger) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
