/// The Modbus tables a point reads or writes.
public enum ModbusTable: String, Sendable, CaseIterable {
    case coil
    case discreteInput = "discrete-input"
    case holding
    case input

    /// Whether the table holds bits (coils, discrete inputs) rather than 16-bit registers.
    public var isBits: Bool { self == .coil || self == .discreteInput }
    /// Whether a client may write it.
    public var isWritable: Bool { self == .coil || self == .holding }
}

/// How a point's value is laid out in registers.
public enum ModbusDataType: String, Sendable, CaseIterable {
    case bool
    case int16, uint16, int32, uint32, int64, uint64, float32, float64
    case string

    /// Registers one value takes (strings: two characters per register).
    public func registerCount(stringLength: Int = 0) -> Int {
        switch self {
        case .bool, .int16, .uint16: 1
        case .int32, .uint32, .float32: 2
        case .int64, .uint64, .float64: 4
        case .string: max(1, (stringLength + 1) / 2)
        }
    }
}

/// Byte order inside a 16-bit register, and register order inside a 32- or 64-bit value.
public enum Endianness: String, Sendable, CaseIterable {
    case big, little
}
