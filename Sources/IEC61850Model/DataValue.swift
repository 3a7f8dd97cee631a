/// The value of one basic data attribute.
public enum DataValue: Sendable, Equatable, CustomStringConvertible {
    case boolean(Bool)
    /// INT8…INT64, enumerations, Dbpos and Tcmd.
    case integer(Int64)
    /// INT8U…INT32U.
    case unsigned(UInt64)
    case float32(Float)
    case float64(Double)
    /// Bit strings other than quality (Check, TrgOps, OptFlds): bit n of the string is `1 << n`.
    case bits(UInt32)
    case quality(Quality)
    case timestamp(Timestamp)
    /// EntryTime: milliseconds since 1970-01-01 UTC.
    case entryTime(millisecondsSinceEpoch: UInt64)
    case octets([UInt8])
    /// Visible and Unicode strings.
    case string(String)

    public var description: String {
        switch self {
        case .boolean(let value): "\(value)"
        case .integer(let value): "\(value)"
        case .unsigned(let value): "\(value)"
        case .float32(let value): "\(value)"
        case .float64(let value): "\(value)"
        case .bits(let value): "bits(0x\(String(value, radix: 16)))"
        case .quality(let value): "\(value)"
        case .timestamp(let value): "\(value)"
        case .entryTime(let ms): "entryTime(\(ms))"
        case .octets(let bytes): bytes.map { String($0, radix: 16) }.joined(separator: " ")
        case .string(let value): "\"\(value)\""
        }
    }

    /// Whether this value can be stored in an attribute of `type` (range and length included).
    public func conforms(to type: BasicType) -> Bool {
        switch (self, type) {
        case (.boolean, .boolean): return true
        case (.integer(let value), _):
            guard let range = type.integerRange else { return false }
            return range.contains(value)
        case (.unsigned(let value), _):
            guard let maximum = type.unsignedMaximum else { return false }
            return value <= maximum
        case (.float32, .float32), (.float64, .float64): return true
        case (.bits, .check), (.bits, .trgOps), (.bits, .optFlds): return true
        case (.quality, .quality), (.timestamp, .timestamp), (.entryTime, .entryTime): return true
        case (.octets(let bytes), .octetString(let maximum)): return bytes.count <= maximum
        case (.octets(let bytes), .entryID): return bytes.count == 8
        case (.string(let text), .visibleString(let maximum)): return text.utf8.count <= maximum
        case (.string(let text), .objectReference): return text.utf8.count <= 129
        case (.string(let text), .currency): return text.utf8.count <= 3
        case (.string(let text), .unicodeString(let maximum)): return text.utf8.count <= maximum
        default: return false
        }
    }
}
