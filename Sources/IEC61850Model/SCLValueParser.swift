/// Turns the text of an SCL `<Val>` into a value of a basic type.
struct SCLValueParser {
    let enumTypes: [String: [String: Int64]]

    func parse(_ text: String, as type: BasicType) -> DataValue? {
        switch type {
        case .boolean:
            switch text.lowercased() {
            case "true", "1": return .boolean(true)
            case "false", "0": return .boolean(false)
            default: return nil
            }
        case .int8, .int16, .int32, .int64, .int128: return Int64(text).map(DataValue.integer)
        case .int8u, .int16u, .int24u, .int32u: return UInt64(text).map(DataValue.unsigned)
        case .float32: return Float(text).map(DataValue.float32)
        case .float64: return Double(text).map(DataValue.float64)
        case .enumerated(let typeID):
            if let typeID, let ord = enumTypes[typeID]?[text] { return .integer(ord) }
            return Int64(text).map(DataValue.integer)
        case .dbpos:
            let names = ["intermediate-state": 0, "off": 1, "on": 2, "bad-state": 3] as [String: Int64]
            return (names[text] ?? Int64(text)).map(DataValue.integer)
        case .tcmd:
            let names = ["stop": 0, "lower": 1, "higher": 2, "reserved": 3] as [String: Int64]
            return (names[text] ?? Int64(text)).map(DataValue.integer)
        case .quality: return Self.bits(text).map { .quality(Quality(rawValue: UInt16(truncatingIfNeeded: $0))) }
        case .check, .trgOps, .optFlds: return Self.bits(text).map(DataValue.bits)
        case .timestamp: return Self.milliseconds(fromISO8601: text).map { .timestamp(Timestamp(millisecondsSinceEpoch: $0)) }
        case .entryTime: return Self.milliseconds(fromISO8601: text).map { .entryTime(millisecondsSinceEpoch: $0) }
        case .octetString, .entryID: return .octets(Self.hexOctets(text) ?? Array(text.utf8))
        case .visibleString, .unicodeString, .currency, .objectReference: return .string(text)
        }
    }

    /// A bit string written as `0`/`1` characters, bit 0 first (`1100000100010`); bit n becomes `1 << n`.
    static func bits(_ text: String) -> UInt32? {
        guard !text.isEmpty, text.count <= 32, text.allSatisfy({ $0 == "0" || $0 == "1" }) else { return nil }
        var bits: UInt32 = 0
        for (index, character) in text.enumerated() where character == "1" { bits |= 1 << UInt32(index) }
        return bits
    }

    /// Octets written as an even number of hex digits (`0102A0FF`); nil for any other text.
    static func hexOctets(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var octets: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            octets.append(high << 4 | low)
        }
        return octets
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.250Z` or a plain number of milliseconds.
    static func milliseconds(fromISO8601 text: String) -> UInt64? {
        if let number = UInt64(text) { return number }
        return ISO8601Time.milliseconds(text)
    }
}
