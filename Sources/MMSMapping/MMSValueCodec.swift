import BERCodec
import IEC61850Model
import IEC61850Services
import MMS
import NIOCore

/// The mapping of IEC 61850 basic types and values to MMS types and Data (IEC 61850-8-1).
package enum MMSValueCodec {
    /// The MMS type of a basic attribute.
    package static func typeSpecification(_ type: BasicType) -> TypeSpecification {
        switch type {
        case .boolean: .boolean
        case .int8, .enumerated: .integer(8)
        case .int16: .integer(16)
        case .int32: .integer(32)
        case .int64: .integer(64)
        case .int128: .integer(128)
        case .int8u: .unsigned(8)
        case .int16u: .unsigned(16)
        case .int24u: .unsigned(24)
        case .int32u: .unsigned(32)
        case .float32: .floatingPoint(formatWidth: 32, exponentWidth: 8)
        case .float64: .floatingPoint(formatWidth: 64, exponentWidth: 11)
        case .dbpos, .tcmd: .bitString(2)
        case .quality: .bitString(-13)
        case .timestamp: .utcTime
        case .entryTime: .binaryTime(includesDate: true)
        case .check: .bitString(-2)
        case .trgOps: .bitString(-6)
        case .optFlds: .bitString(-10)
        case .octetString(let maximum): .octetString(-maximum)
        case .entryID: .octetString(8)
        case .visibleString(let maximum): .visibleString(-maximum)
        case .unicodeString(let maximum): .mmsString(-maximum)
        case .currency: .visibleString(-3)
        case .objectReference: .visibleString(-129)
        }
    }

    /// Number of bits of the bit-string types.
    package static func bitCount(_ type: BasicType) -> Int {
        switch type {
        case .dbpos, .tcmd, .check: 2
        case .trgOps: 6
        case .optFlds: 10
        case .quality: 13
        default: 0
        }
    }

    /// Writes `value` (of attribute type `type`) as MMS Data.
    package static func encode(_ value: DataValue, as type: BasicType, into buffer: inout ByteBuffer) {
        switch value {
        case .boolean(let flag): buffer.writeMultipleIntegers(UInt8(0x83), UInt8(0x01), UInt8(flag ? 0xFF : 0x00))
        case .integer(let number):
            if type == .dbpos || type == .tcmd {
                buffer.writeMultipleIntegers(UInt8(0x84), UInt8(0x02), UInt8(0x06), UInt8(truncatingIfNeeded: (number & 0x3) << 6))
            } else {
                buffer.writeBERInteger(.context(5), number)
            }
        case .unsigned(let number): buffer.writeBERUnsigned(.context(6), number)
        case .float32(let number):
            buffer.writeMultipleIntegers(UInt8(0x87), UInt8(0x05), UInt8(0x08), number.bitPattern)
        case .float64(let number):
            buffer.writeMultipleIntegers(UInt8(0x87), UInt8(0x09), UInt8(0x0B), number.bitPattern)
        case .bits(let bits): writeBits(UInt32(bits), count: bitCount(type), into: &buffer)
        case .quality(let quality): writeBits(UInt32(quality.rawValue), count: 13, into: &buffer)
        case .timestamp(let timestamp):
            buffer.writeMultipleIntegers(
                UInt8(0x91), UInt8(0x08), timestamp.secondsSinceEpoch, UInt8(truncatingIfNeeded: timestamp.fraction >> 16),
                UInt16(truncatingIfNeeded: timestamp.fraction), timestamp.timeQuality)
        case .entryTime(let ms):
            ReadJournalRequest.writeTimeOfDay(.context(12), millisecondsSinceEpoch: ms, into: &buffer)  // binary-time, 6 octets
        case .octets(let bytes): buffer.writeBERPrimitive(.context(9), bytes: bytes)
        case .string(let text):
            if case .unicodeString = type {
                buffer.writeBERString(.context(16), text)
            } else {
                buffer.writeBERString(.context(10), text)
            }
        }
    }

    /// Writes a bit string of `count` bits where bit n is `1 << n` of `bits` (bit 0 first on the wire).
    package static func writeBits(_ bits: UInt32, count: Int, into buffer: inout ByteBuffer) {
        let octets = max((count + 7) / 8, 1)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 3 + octets) { out in
            out[0] = 0x84
            out[1] = UInt8(octets + 1)
            out[2] = UInt8(octets * 8 - count)
            for octet in 0..<octets {
                var byte: UInt8 = 0
                for bit in 0..<8 where octet * 8 + bit < count && bits & (1 << UInt32(octet * 8 + bit)) != 0 {
                    byte |= 0x80 >> UInt8(bit)
                }
                out[3 + octet] = byte
            }
            return 3 + octets
        }
    }

    /// Reads bits of an MMS bit string into the `1 << n` form.
    package static func bits(of bitString: MMSBitString) -> UInt32 {
        var bits: UInt32 = 0
        for index in 0..<min(bitString.bitCount, 32) where bitString.bit(index) { bits |= 1 << UInt32(index) }
        return bits
    }

    /// Converts written MMS Data to a value of attribute type `type`, or tells why it cannot be.
    package static func decode(_ data: MMSData, as type: BasicType) -> Result<DataValue, DataAccessError> {
        let value: DataValue
        switch (data, type) {
        case (.boolean(let flag), .boolean): value = .boolean(flag)
        case (.integer(let number), _) where type.integerRange != nil && type != .dbpos && type != .tcmd: value = .integer(number)
        case (.unsigned(let number), _) where type.integerRange != nil && type != .dbpos && type != .tcmd:
            guard number <= UInt64(Int64.max) else { return .failure(.objectValueInvalid) }
            value = .integer(Int64(number))
        case (.unsigned(let number), _) where type.unsignedMaximum != nil: value = .unsigned(number)
        case (.integer(let number), _) where type.unsignedMaximum != nil:
            guard number >= 0 else { return .failure(.objectValueInvalid) }
            value = .unsigned(UInt64(number))
        case (.float32(let number), .float32): value = .float32(number)
        case (.float64(let number), .float64): value = .float64(number)
        case (.float64(let number), .float32): value = .float32(Float(number))
        case (.bitString(let bitString), .dbpos), (.bitString(let bitString), .tcmd):
            guard bitString.bitCount == 2 else { return .failure(.typeInconsistent) }
            value = .integer(Int64(bitString.msbFirstValue))
        case (.bitString(let bitString), .quality):
            guard bitString.bitCount <= 16 else { return .failure(.typeInconsistent) }
            value = .quality(Quality(rawValue: UInt16(bits(of: bitString))))
        case (.bitString(let bitString), .check), (.bitString(let bitString), .trgOps), (.bitString(let bitString), .optFlds):
            guard bitString.bitCount <= bitCount(type) else { return .failure(.typeInconsistent) }
            value = .bits(bits(of: bitString))
        case (.utcTime(let octets), .timestamp):
            guard let timestamp = Timestamp(octets: octets) else { return .failure(.typeInconsistent) }
            value = .timestamp(timestamp)
        case (.binaryTime(let octets), .entryTime):
            guard octets.count == 6 else { return .failure(.typeInconsistent) }
            let time = ReadJournalRequest.TimeOfDay(
                milliseconds: octets[0..<4].reduce(0) { $0 << 8 | UInt32($1) }, days: octets[4..<6].reduce(0) { $0 << 8 | UInt16($1) })
            value = .entryTime(millisecondsSinceEpoch: time.millisecondsSinceEpoch(now: 0))
        case (.octetString(let bytes), .octetString), (.octetString(let bytes), .entryID): value = .octets(bytes)
        case (.visibleString(let text), .visibleString), (.visibleString(let text), .currency), (.visibleString(let text), .objectReference):
            value = .string(text)
        case (.mmsString(let text), .unicodeString), (.visibleString(let text), .unicodeString): value = .string(text)
        default: return .failure(.typeInconsistent)
        }
        return value.conforms(to: type) ? .success(value) : .failure(.objectValueInvalid)
    }

    /// Converts a stored value to MMS Data (for reports and tests; reads encode directly).
    package static func mmsData(_ value: DataValue, as type: BasicType) -> MMSData {
        var buffer = ByteBuffer()
        encode(value, as: type, into: &buffer)
        var reader = BERReader(buffer)
        guard let element = try? reader.readElement(), let data = try? MMSData.decode(element) else {
            preconditionFailure("our own encoding of \(value) did not decode")
        }
        return data
    }
}
