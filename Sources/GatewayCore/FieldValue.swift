/// A value as a field device gives it, before it is mapped onto an IEC 61850 attribute.
public enum FieldValue: Sendable, Equatable, CustomStringConvertible {
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case double(Double)
    case string(String)

    /// The value as a number, when it is one (booleans are 0 and 1).
    public var number: Double? {
        switch self {
        case .bool(let flag): flag ? 1 : 0
        case .integer(let value): Double(value)
        case .unsigned(let value): Double(value)
        case .double(let value): value
        case .string(let text): Double(text)
        }
    }

    public var description: String {
        switch self {
        case .bool(let flag): "\(flag)"
        case .integer(let value): "\(value)"
        case .unsigned(let value): "\(value)"
        case .double(let value): "\(value)"
        case .string(let text): "\"\(text)\""
        }
    }
}
