import BERCodec
import NIOCore

/// An MMS TypeSpecification, as answered to getVariableAccessAttributes.
public indirect enum TypeSpecification: Sendable, Equatable {
    public struct Component: Sendable, Equatable {
        public var name: String
        public var type: TypeSpecification
        public init(name: String, type: TypeSpecification) {
            self.name = name
            self.type = type
        }
    }

    case array(count: Int, element: TypeSpecification)
    case structure([Component])
    case boolean
    /// Size in bits: positive = fixed, negative = variable up to |size|.
    case bitString(Int)
    /// Width in bits.
    case integer(Int)
    case unsigned(Int)
    case floatingPoint(formatWidth: Int, exponentWidth: Int)
    case octetString(Int)
    case visibleString(Int)
    case generalizedTime
    /// `includesDate`: the 6-octet form.
    case binaryTime(includesDate: Bool)
    case mmsString(Int)
    case utcTime

    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .array(let count, let element):
            buffer.writeBERElement(.contextConstructed(1)) { array in
                array.writeBERInteger(.context(1), Int64(count))
                array.writeBERElement(.contextConstructed(2)) { element.encode(into: &$0) }
            }
        case .structure(let components):
            buffer.writeBERElement(.contextConstructed(2)) { structure in
                structure.writeBERElement(.contextConstructed(1)) { list in
                    for component in components {
                        list.writeBERElement(.sequence) { entry in
                            entry.writeBERString(.context(0), component.name)
                            entry.writeBERElement(.contextConstructed(1)) { component.type.encode(into: &$0) }
                        }
                    }
                }
            }
        case .boolean: buffer.writeBytes([0x83, 0x00])
        case .bitString(let size): buffer.writeBERInteger(.context(4), Int64(size))
        case .integer(let width): buffer.writeBERInteger(.context(5), Int64(width))
        case .unsigned(let width): buffer.writeBERInteger(.context(6), Int64(width))
        case .floatingPoint(let format, let exponent):
            buffer.writeBERElement(.contextConstructed(7)) {
                $0.writeBERInteger(.integer, Int64(format))
                $0.writeBERInteger(.integer, Int64(exponent))
            }
        case .octetString(let size): buffer.writeBERInteger(.context(9), Int64(size))
        case .visibleString(let size): buffer.writeBERInteger(.context(10), Int64(size))
        case .generalizedTime: buffer.writeBytes([0x8B, 0x00])
        case .binaryTime(let includesDate): buffer.writeBERBoolean(.context(12), includesDate)
        case .mmsString(let size): buffer.writeBERInteger(.context(16), Int64(size))
        case .utcTime: buffer.writeBytes([0x91, 0x00])
        }
    }
}
