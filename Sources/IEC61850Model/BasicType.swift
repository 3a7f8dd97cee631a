/// The basic attribute types of IEC 61850-7-2 / SCL `bType`.
public enum BasicType: Sendable, Hashable {
    case boolean
    /// INT128 values are held in 64 bits (as libIEC61850 does); wider values are refused.
    case int8, int16, int32, int64, int128
    case int8u, int16u, int24u, int32u
    case float32, float64
    /// An enumeration (SCL `Enum`), with the id of its EnumType.
    case enumerated(String?)
    /// Double point status: 0 intermediate, 1 off, 2 on, 3 bad.
    case dbpos
    /// Tap command: 0 stop, 1 lower, 2 higher, 3 reserved.
    case tcmd
    case quality
    case timestamp
    case entryTime
    /// Control check bits: synchrocheck, interlock-check.
    case check
    case octetString(maxLength: Int)
    case visibleString(maxLength: Int)
    case unicodeString(maxLength: Int)
    case currency
    case trgOps
    case optFlds
    case entryID
    case objectReference

    /// The type for an SCL `bType` (nil for `Struct` and unknown names).
    public init?(sclName: String, enumType: String? = nil) {
        switch sclName {
        case "BOOLEAN": self = .boolean
        case "INT8": self = .int8
        case "INT16": self = .int16
        case "INT32": self = .int32
        case "INT64": self = .int64
        case "INT128": self = .int128
        case "INT8U": self = .int8u
        case "INT16U": self = .int16u
        case "INT24U": self = .int24u
        case "INT32U": self = .int32u
        case "FLOAT32": self = .float32
        case "FLOAT64": self = .float64
        case "Enum": self = .enumerated(enumType)
        case "Dbpos": self = .dbpos
        case "Tcmd": self = .tcmd
        case "Quality": self = .quality
        case "Timestamp": self = .timestamp
        case "EntryTime": self = .entryTime
        case "Check": self = .check
        case "Octet64": self = .octetString(maxLength: 64)
        case "Octet6": self = .octetString(maxLength: 6)
        case "Octet16": self = .octetString(maxLength: 16)
        case "VisString32": self = .visibleString(maxLength: 32)
        case "VisString64": self = .visibleString(maxLength: 64)
        case "VisString65": self = .visibleString(maxLength: 65)
        case "VisString129": self = .visibleString(maxLength: 129)
        case "VisString255": self = .visibleString(maxLength: 255)
        case "Unicode255": self = .unicodeString(maxLength: 255)
        case "Currency": self = .currency
        case "TrgOps": self = .trgOps
        case "OptFlds": self = .optFlds
        case "EntryID": self = .entryID
        case "ObjRef": self = .objectReference
        default: return nil
        }
    }

    /// The value an attribute of this type has before anything sets it.
    public var defaultValue: DataValue {
        switch self {
        case .boolean: .boolean(false)
        case .int8, .int16, .int32, .int64, .int128, .enumerated: .integer(0)
        case .int8u, .int16u, .int24u, .int32u: .unsigned(0)
        case .float32: .float32(0)
        case .float64: .float64(0)
        case .dbpos, .tcmd: .integer(0)
        case .quality: .quality(Quality())
        case .timestamp: .timestamp(Timestamp())
        case .entryTime: .entryTime(millisecondsSinceEpoch: 0)
        case .check, .trgOps, .optFlds: .bits(0)
        case .octetString: .octets([])
        case .entryID: .octets([UInt8](repeating: 0, count: 8))
        case .visibleString, .unicodeString, .currency, .objectReference: .string("")
        }
    }

    /// The range an integer value must fall in, for the integer types.
    public var integerRange: ClosedRange<Int64>? {
        switch self {
        case .int8: Int64(Int8.min)...Int64(Int8.max)
        case .int16: Int64(Int16.min)...Int64(Int16.max)
        case .int32: Int64(Int32.min)...Int64(Int32.max)
        case .int64, .int128: Int64.min...Int64.max
        case .enumerated: Int64(Int8.min)...Int64(Int8.max)
        case .dbpos, .tcmd: 0...3
        default: nil
        }
    }

    /// The largest value of the unsigned types.
    public var unsignedMaximum: UInt64? {
        switch self {
        case .int8u: UInt64(UInt8.max)
        case .int16u: UInt64(UInt16.max)
        case .int24u: 0xFF_FFFF
        case .int32u: UInt64(UInt32.max)
        default: nil
        }
    }
}
