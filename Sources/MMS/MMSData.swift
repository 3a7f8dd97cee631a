import BERCodec
import NIOCore

/// An MMS `Data` value (ISO 9506-2), as IEC 61850-8-1 uses it.
public indirect enum MMSData: Sendable, Equatable {
    case array([MMSData])
    case structure([MMSData])
    case boolean(Bool)
    case bitString(MMSBitString)
    case integer(Int64)
    case unsigned(UInt64)
    case float32(Float)
    case float64(Double)
    case octetString([UInt8])
    case visibleString(String)
    /// TimeOfDay: 4 octets (ms since midnight) or 6 (plus days since 1984-01-01).
    case binaryTime([UInt8])
    case mmsString(String)
    /// UtcTime: 8 octets (seconds, fraction, time quality).
    case utcTime([UInt8])

    /// The deepest structure/array nesting accepted from a peer.
    public static let maximumDecodeDepth = 16

    /// Decodes one Data element.
    public static func decode(_ element: BERElement, depth: Int = 0) throws(MMSDecodeError) -> MMSData {
        guard depth < maximumDecodeDepth else { throw .nestingTooDeep }
        do {
            switch (element.tag.tagClass, element.tag.isConstructed, element.tag.number) {
            case (.contextSpecific, true, 1), (.contextSpecific, true, 2):
                var children = element.children
                var values: [MMSData] = []
                while !children.isAtEnd {
                    values.append(try decode(children.readElement(), depth: depth + 1))
                }
                return element.tag.number == 1 ? .array(values) : .structure(values)
            case (.contextSpecific, false, 3):
                return .boolean(try element.booleanValue())
            case (.contextSpecific, false, 4):
                return .bitString(try MMSBitString(berContent: element.content))
            case (.contextSpecific, false, 5):
                return .integer(try element.integerValue())
            case (.contextSpecific, false, 6):
                return .unsigned(try element.unsignedValue())
            case (.contextSpecific, false, 7):
                var content = element.content
                switch content.readableBytes {
                case 5:
                    content.moveReaderIndex(forwardBy: 1)
                    return .float32(Float(bitPattern: content.readInteger(as: UInt32.self)!))
                case 9:
                    content.moveReaderIndex(forwardBy: 1)
                    return .float64(Double(bitPattern: content.readInteger(as: UInt64.self)!))
                default:
                    throw MMSDecodeError.invalidData("floating-point of \(content.readableBytes) octets")
                }
            case (.contextSpecific, false, 9):
                return .octetString(element.bytes)
            case (.contextSpecific, false, 10):
                return .visibleString(element.stringValue)
            case (.contextSpecific, false, 12):
                guard element.content.readableBytes == 4 || element.content.readableBytes == 6 else {
                    throw MMSDecodeError.invalidData("binary-time of \(element.content.readableBytes) octets")
                }
                return .binaryTime(element.bytes)
            case (.contextSpecific, false, 16):
                return .mmsString(element.stringValue)
            case (.contextSpecific, false, 17):
                guard element.content.readableBytes == 8 else {
                    throw MMSDecodeError.invalidData("utc-time of \(element.content.readableBytes) octets")
                }
                return .utcTime(element.bytes)
            default:
                throw MMSDecodeError.unsupportedData(element.tag)
            }
        } catch let error as MMSDecodeError {
            throw error
        } catch let error as BERError {
            throw .ber(error)
        } catch {
            throw .invalidData("\(error)")
        }
    }

    /// Writes this value as a Data element.
    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .array(let values):
            buffer.writeBERElement(.contextConstructed(1)) { for value in values { value.encode(into: &$0) } }
        case .structure(let values):
            buffer.writeBERElement(.contextConstructed(2)) { for value in values { value.encode(into: &$0) } }
        case .boolean(let value): buffer.writeBERBoolean(.context(3), value)
        case .bitString(let bits): bits.encode(tag: .context(4), into: &buffer)
        case .integer(let value): buffer.writeBERInteger(.context(5), value)
        case .unsigned(let value): buffer.writeBERUnsigned(.context(6), value)
        case .float32(let value):
            buffer.writeBytes([0x87, 0x05, 0x08])
            buffer.writeInteger(value.bitPattern)
        case .float64(let value):
            buffer.writeBytes([0x87, 0x09, 0x0B])
            buffer.writeInteger(value.bitPattern)
        case .octetString(let bytes): buffer.writeBERPrimitive(.context(9), bytes: bytes)
        case .visibleString(let string): buffer.writeBERString(.context(10), string)
        case .binaryTime(let bytes): buffer.writeBERPrimitive(.context(12), bytes: bytes)
        case .mmsString(let string): buffer.writeBERString(.context(16), string)
        case .utcTime(let bytes): buffer.writeBERPrimitive(.context(17), bytes: bytes)
        }
    }
}

/// A BIT STRING value: bit 0 is the most significant bit of the first octet.
public struct MMSBitString: Sendable, Equatable {
    public var bytes: [UInt8]
    public var bitCount: Int

    public init(bytes: [UInt8], bitCount: Int) {
        self.bytes = bytes
        self.bitCount = bitCount
    }

    /// A bit string of `bitCount` bits whose bit i is bit `bitCount - 1 - i`... of `value`'s low bits, MSB first.
    public init(msbFirst value: UInt32, bitCount: Int) {
        self.bitCount = bitCount
        let octets = (bitCount + 7) / 8
        var bytes = [UInt8](repeating: 0, count: octets)
        for bit in 0..<bitCount where value & (1 << UInt32(bitCount - 1 - bit)) != 0 {
            bytes[bit / 8] |= 0x80 >> UInt8(bit % 8)
        }
        self.bytes = bytes
    }

    init(berContent: ByteBuffer) throws(MMSDecodeError) {
        var content = berContent
        guard let unused = content.readInteger(as: UInt8.self), unused < 8 else {
            throw .invalidData("bit-string unused-bits octet")
        }
        let bytes = Array(content.readableBytesView)
        guard !(bytes.isEmpty && unused != 0) else { throw .invalidData("empty bit-string with unused bits") }
        self.bytes = bytes
        self.bitCount = bytes.count * 8 - Int(unused)
    }

    /// Bit `index` (0 = the first, most significant).
    public func bit(_ index: Int) -> Bool {
        guard index < bitCount else { return false }
        return bytes[index / 8] & (0x80 >> UInt8(index % 8)) != 0
    }

    /// The bits as an integer, bit 0 the most significant of `bitCount` bits.
    public var msbFirstValue: UInt32 {
        var value: UInt32 = 0
        for index in 0..<min(bitCount, 32) { value = (value << 1) | (bit(index) ? 1 : 0) }
        return value
    }

    public func encode(tag: BERTag, into buffer: inout ByteBuffer) {
        buffer.writeBERTag(tag)
        buffer.writeBERLength(bytes.count + 1)
        buffer.writeInteger(UInt8(bytes.count * 8 - bitCount))
        buffer.writeBytes(bytes)
    }
}
