import GatewayCore

/// Registers to values and back, in the byte and word orders devices use (pure; no I/O).
public enum ModbusRegisterCodec {
    /// Decodes one value from `registers` (exactly its register count).
    ///
    /// `bit` (0…15) reads a single bit of a register as a boolean.
    public static func decode(
        _ registers: some Collection<UInt16>, as type: ModbusDataType, byteOrder: Endianness = .big, wordOrder: Endianness = .big, bit: Int? = nil
    ) -> FieldValue {
        var words = Array(registers)
        if byteOrder == .little { words = words.map { $0.byteSwapped } }
        if let bit { return .bool(words.first.map { $0 >> UInt16(bit) & 1 == 1 } ?? false) }
        if wordOrder == .little && type != .string { words.reverse() }
        let raw = words.reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        switch type {
        case .bool: return .bool(raw != 0)
        case .uint16, .uint32, .uint64: return .unsigned(raw)
        case .int16: return .integer(Int64(Int16(truncatingIfNeeded: raw)))
        case .int32: return .integer(Int64(Int32(truncatingIfNeeded: raw)))
        case .int64: return .integer(Int64(bitPattern: raw))
        case .float32: return .double(Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw))))
        case .float64: return .double(Double(bitPattern: raw))
        case .string:
            let bytes = words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }.prefix { $0 != 0 }
            return .string(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Encodes a value into registers (for writes); nil when it does not fit the type.
    public static func encode(_ value: FieldValue, as type: ModbusDataType, byteOrder: Endianness = .big, wordOrder: Endianness = .big) -> [UInt16]? {
        let raw: UInt64
        switch (type, value) {
        case (.float32, _):
            guard let number = value.number else { return nil }
            raw = UInt64(Float(number).bitPattern)
        case (.float64, _):
            guard let number = value.number else { return nil }
            raw = number.bitPattern
        case (.string, .string(let text)):
            var bytes = Array(text.utf8)
            if bytes.count % 2 == 1 { bytes.append(0) }
            let words = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
            return byteOrder == .little ? words.map { $0.byteSwapped } : words
        case (.string, _):
            return nil
        default:
            guard let bits = integerBits(value, as: type) else { return nil }
            raw = bits
        }
        let count = type.registerCount()
        var words = (0..<count).map { UInt16(truncatingIfNeeded: raw >> (16 * UInt64(count - 1 - $0))) }
        if wordOrder == .little { words.reverse() }
        if byteOrder == .little { words = words.map { $0.byteSwapped } }
        return words
    }

    /// An integer value's two's-complement bits, when it fits the integer type.
    private static func integerBits(_ value: FieldValue, as type: ModbusDataType) -> UInt64? {
        let signed: Int64?
        let unsigned: UInt64?
        switch value {
        case .bool(let flag): (signed, unsigned) = (flag ? 1 : 0, flag ? 1 : 0)
        case .integer(let number): (signed, unsigned) = (number, number >= 0 ? UInt64(number) : nil)
        case .unsigned(let number): (signed, unsigned) = (number <= UInt64(Int64.max) ? Int64(number) : nil, number)
        case .double(let number):
            guard number == number.rounded(), abs(number) < 9.2e18 else { return nil }
            (signed, unsigned) = (Int64(number), number >= 0 ? UInt64(number) : nil)
        case .string(let text): (signed, unsigned) = (Int64(text), UInt64(text))
        }
        switch type {
        case .bool: return unsigned.flatMap { $0 <= 1 ? $0 : nil }
        case .uint16: return unsigned.flatMap { $0 <= UInt64(UInt16.max) ? $0 : nil }
        case .uint32: return unsigned.flatMap { $0 <= UInt64(UInt32.max) ? $0 : nil }
        case .uint64: return unsigned
        case .int16: return signed.flatMap { Int64(Int16.min)...Int64(Int16.max) ~= $0 ? UInt64(bitPattern: $0) : nil }
        case .int32: return signed.flatMap { Int64(Int32.min)...Int64(Int32.max) ~= $0 ? UInt64(bitPattern: $0) : nil }
        case .int64: return signed.map { UInt64(bitPattern: $0) }
        case .float32, .float64, .string: return nil
        }
    }
}
