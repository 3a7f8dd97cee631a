import IEC61850Model

/// What a point does to a field value on its way to an attribute: a value map, inversion, scaling and
/// offset, and the conversion to the attribute's type (DESIGN.md §5).
public struct PointTransform: Sendable, Equatable {
    /// Multiplier applied to numbers (after the value map).
    public var scale: Double = 1
    public var offset: Double = 0
    /// Inverts a boolean.
    public var invert = false
    /// Field value (as text: `0`, `1`, `true`, `on`) to attribute value (as text: `off`, `on`, `intermediate`, `bad`, numbers…).
    public var valueMap: [String: String] = [:]

    public init(scale: Double = 1, offset: Double = 0, invert: Bool = false, valueMap: [String: String] = [:]) {
        self.scale = scale
        self.offset = offset
        self.invert = invert
        self.valueMap = valueMap
    }

    /// Why a field value could not become an attribute value (the point's quality turns invalid).
    public enum Failure: Error, Equatable, Sendable {
        /// Not convertible (validity invalid, detail inconsistent).
        case inconsistent
        /// Outside the attribute's range (validity invalid, detail out-of-range or overflow).
        case outOfRange
    }

    /// The attribute value for a field value.
    public func apply(_ field: FieldValue, to type: BasicType) -> Result<DataValue, Failure> {
        var value = field
        if !valueMap.isEmpty {
            guard let mapped = valueMap[Self.key(field)] else { return .failure(.inconsistent) }
            value = Self.parse(mapped)
        }
        if invert, case .bool(let flag) = value { value = .bool(!flag) }
        if scale != 1 || offset != 0 {
            guard let number = value.number else { return .failure(.inconsistent) }
            value = .double(number * scale + offset)
        }
        return Self.convert(value, to: type)
    }

    static func key(_ value: FieldValue) -> String {
        switch value {
        case .bool(let flag): flag ? "true" : "false"
        case .double(let number) where number == number.rounded() && abs(number) < 1e15: String(Int64(number))
        case .string(let text): text
        default: value.description
        }
    }

    /// A mapped value written in a mapping file: a number, a boolean, or a name (Dbpos names included).
    static func parse(_ text: String) -> FieldValue {
        switch text.lowercased() {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "intermediate": return .integer(0)
        case "off": return .integer(1)
        case "on": return .integer(2)
        case "bad": return .integer(3)
        default:
            if let integer = Int64(text) { return .integer(integer) }
            if let number = Double(text) { return .double(number) }
            return .string(text)
        }
    }

    /// Converts a field value to an attribute type, checking the type's range.
    public static func convert(_ value: FieldValue, to type: BasicType) -> Result<DataValue, Failure> {
        switch type {
        case .boolean:
            switch value {
            case .bool(let flag): return .success(.boolean(flag))
            case .string(let text):
                guard let flag = Bool(text.lowercased()) else { return .failure(.inconsistent) }
                return .success(.boolean(flag))
            default:
                guard let number = value.number else { return .failure(.inconsistent) }
                return .success(.boolean(number != 0))
            }
        case .float32:
            guard let number = value.number else { return .failure(.inconsistent) }
            guard number.isNaN || abs(number) <= Double(Float.greatestFiniteMagnitude) else { return .failure(.outOfRange) }
            return .success(.float32(Float(number)))
        case .float64:
            guard let number = value.number else { return .failure(.inconsistent) }
            return .success(.float64(number))
        case .visibleString, .unicodeString, .objectReference, .currency:
            let text = if case .string(let string) = value { string } else { value.description }
            let converted = DataValue.string(text)
            return converted.conforms(to: type) ? .success(converted) : .failure(.outOfRange)
        default:
            if let maximum = type.unsignedMaximum {
                guard let number = value.number, number == number.rounded() else { return .failure(.inconsistent) }
                guard number >= 0, number <= Double(maximum) else { return .failure(.outOfRange) }
                return .success(.unsigned(UInt64(number)))
            }
            if let range = type.integerRange {
                guard let number = value.number?.rounded() else { return .failure(.inconsistent) }
                guard number >= Double(range.lowerBound), number <= Double(range.upperBound), abs(number) < 9.2e18 else { return .failure(.outOfRange) }
                return .success(.integer(Int64(number)))
            }
            return .failure(.inconsistent)
        }
    }
}
