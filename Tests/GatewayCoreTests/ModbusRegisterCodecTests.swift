import GatewayCore
import Testing

@testable import ModbusAdapter

@Suite("Modbus register codec")
struct ModbusRegisterCodecTests {
    @Test("32-bit float in the four byte and word orders devices use")
    func float32Orders() {
        // 123.456 as IEEE 754: 0x42F6E979
        #expect(ModbusRegisterCodec.decode([0x42F6, 0xE979], as: .float32) == .double(Double(Float(123.456))))
        #expect(ModbusRegisterCodec.decode([0xE979, 0x42F6], as: .float32, wordOrder: .little) == .double(Double(Float(123.456))))
        #expect(ModbusRegisterCodec.decode([0xF642, 0x79E9], as: .float32, byteOrder: .little) == .double(Double(Float(123.456))))
        #expect(ModbusRegisterCodec.decode([0x79E9, 0xF642], as: .float32, byteOrder: .little, wordOrder: .little) == .double(Double(Float(123.456))))
    }

    @Test("signed and unsigned integers of 16, 32 and 64 bits")
    func integers() {
        #expect(ModbusRegisterCodec.decode([0xFFFE], as: .int16) == .integer(-2))
        #expect(ModbusRegisterCodec.decode([0xFFFE], as: .uint16) == .unsigned(65534))
        #expect(ModbusRegisterCodec.decode([0xFFFF, 0xFFFF], as: .int32) == .integer(-1))
        #expect(ModbusRegisterCodec.decode([0x0001, 0x0000], as: .uint32) == .unsigned(65536))
        #expect(ModbusRegisterCodec.decode([0x0000, 0x0001], as: .uint32, wordOrder: .little) == .unsigned(65536))
        #expect(ModbusRegisterCodec.decode([0x8000, 0, 0, 0], as: .int64) == .integer(Int64.min))
        #expect(ModbusRegisterCodec.decode([0x4009, 0x21FB, 0x5444, 0x2D18], as: .float64) == .double(Double.pi))
    }

    @Test("a bit of a register, and strings two characters per register")
    func bitsAndStrings() {
        #expect(ModbusRegisterCodec.decode([0b0000_0000_0010_0000], as: .bool, bit: 5) == .bool(true))
        #expect(ModbusRegisterCodec.decode([0b0000_0000_0010_0000], as: .bool, bit: 4) == .bool(false))
        #expect(ModbusRegisterCodec.decode([0x4142, 0x4300], as: .string) == .string("ABC"))
    }

    @Test("encoding is the inverse of decoding; values that do not fit are refused")
    func roundTrip() {
        for (type, value) in [
            (ModbusDataType.int16, FieldValue.integer(-300)), (.uint32, .unsigned(4_000_000_000)), (.int64, .integer(-5)), (.float64, .double(-2.5)),
        ] {
            for byteOrder in Endianness.allCases {
                for wordOrder in Endianness.allCases {
                    let registers = ModbusRegisterCodec.encode(value, as: type, byteOrder: byteOrder, wordOrder: wordOrder)
                    #expect(registers.map { ModbusRegisterCodec.decode($0, as: type, byteOrder: byteOrder, wordOrder: wordOrder) } == value)
                }
            }
        }
        #expect(ModbusRegisterCodec.encode(.integer(70000), as: .int16) == nil)
        #expect(ModbusRegisterCodec.encode(.integer(-1), as: .uint16) == nil)
        #expect(ModbusRegisterCodec.encode(.double(1.5), as: .int32) == nil)
        #expect(ModbusRegisterCodec.encode(.bool(true), as: .uint16) == [1])
    }
}
