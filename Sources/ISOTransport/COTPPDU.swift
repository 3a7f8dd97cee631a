import NIOCore

/// The class 0 COTP TPDUs (ISO 8073) a server meets.
public enum COTPPDU: Sendable, Equatable {
    case connectionRequest(COTPConnectionParameters)
    case connectionConfirm(COTPConnectionParameters)
    /// DT: `endOfTSDU` is the EOT bit; the payload is one segment of a TSDU.
    case data(endOfTSDU: Bool, payload: ByteBuffer)
    case disconnectRequest(destinationReference: UInt16, sourceReference: UInt16, reason: UInt8)
    case error(destinationReference: UInt16, cause: UInt8)

    public static let crCode: UInt8 = 0xE0
    public static let ccCode: UInt8 = 0xD0
    public static let dtCode: UInt8 = 0xF0
    public static let drCode: UInt8 = 0x80
    public static let erCode: UInt8 = 0x70

    /// Parses one TPDU (the content of a TPKT frame).
    public static func parse(_ tpdu: ByteBuffer) throws(TransportError) -> COTPPDU {
        var buffer = tpdu
        guard let headerLength = buffer.readInteger(as: UInt8.self).map(Int.init), headerLength >= 1 else {
            throw .invalidTPDU("missing length indicator")
        }
        guard headerLength != 255, var header = buffer.readSlice(length: headerLength) else {
            throw .invalidTPDU("length indicator \(headerLength) beyond the TPDU")
        }
        let code = header.readInteger(as: UInt8.self)!
        switch code & 0xF0 {
        case dtCode:
            guard headerLength == 2, let number = header.readInteger(as: UInt8.self) else {
                throw .invalidTPDU("DT header length \(headerLength)")
            }
            return .data(endOfTSDU: number & 0x80 != 0, payload: buffer)
        case crCode, ccCode:
            guard let destination = header.readInteger(as: UInt16.self),
                let source = header.readInteger(as: UInt16.self),
                let options = header.readInteger(as: UInt8.self)
            else { throw .invalidTPDU("CR/CC fixed part truncated") }
            guard options >> 4 == 0 else { throw .invalidTPDU("class \(options >> 4) requested; only class 0 is served") }
            var parameters = COTPConnectionParameters(destinationReference: destination, sourceReference: source)
            while header.readableBytes > 0 {
                guard let type = header.readInteger(as: UInt8.self), let length = header.readInteger(as: UInt8.self),
                    let value = header.readSlice(length: Int(length))
                else { throw .invalidTPDU("variable parameter truncated") }
                switch type {
                case 0xC0:
                    guard length == 1, let exponent = value.getInteger(at: value.readerIndex, as: UInt8.self) else {
                        throw .invalidTPDU("TPDU size parameter length \(length)")
                    }
                    parameters.tpduSizeExponent = exponent
                case 0xC1:
                    guard length <= 16 else { throw .invalidTPDU("calling TSAP of \(length) octets") }
                    parameters.callingTSAP = Array(value.readableBytesView)
                case 0xC2:
                    guard length <= 16 else { throw .invalidTPDU("called TSAP of \(length) octets") }
                    parameters.calledTSAP = Array(value.readableBytesView)
                default:
                    continue  // additional option selection, checksum, preferred TPDU size…: not used in class 0
                }
            }
            return code & 0xF0 == crCode ? .connectionRequest(parameters) : .connectionConfirm(parameters)
        case drCode:
            guard let destination = header.readInteger(as: UInt16.self), let source = header.readInteger(as: UInt16.self),
                let reason = header.readInteger(as: UInt8.self)
            else { throw .invalidTPDU("DR fixed part truncated") }
            return .disconnectRequest(destinationReference: destination, sourceReference: source, reason: reason)
        case erCode:
            guard let destination = header.readInteger(as: UInt16.self) else { throw .invalidTPDU("ER truncated") }
            let cause = header.readInteger(as: UInt8.self) ?? 0
            return .error(destinationReference: destination, cause: cause)
        default:
            throw .unsupportedTPDU(code)
        }
    }

    /// Writes this TPDU, TPKT header included.
    public func write(to buffer: inout ByteBuffer) {
        switch self {
        case .data(let endOfTSDU, let payload):
            buffer.writeTPKTHeader(payloadLength: 3 + payload.readableBytes)
            buffer.writeInteger(UInt8(2))
            buffer.writeInteger(Self.dtCode)
            buffer.writeInteger(UInt8(endOfTSDU ? 0x80 : 0x00))
            buffer.writeImmutableBuffer(payload)
        case .connectionRequest(let parameters), .connectionConfirm(let parameters):
            var variable = 0
            if parameters.tpduSizeExponent != nil { variable += 3 }
            if let tsap = parameters.callingTSAP { variable += 2 + tsap.count }
            if let tsap = parameters.calledTSAP { variable += 2 + tsap.count }
            buffer.writeTPKTHeader(payloadLength: 7 + variable)
            buffer.writeInteger(UInt8(6 + variable))
            if case .connectionRequest = self { buffer.writeInteger(Self.crCode) } else { buffer.writeInteger(Self.ccCode) }
            buffer.writeInteger(parameters.destinationReference)
            buffer.writeInteger(parameters.sourceReference)
            buffer.writeInteger(UInt8(0))
            if let exponent = parameters.tpduSizeExponent {
                buffer.writeBytes([0xC0, 1, exponent])
            }
            if let tsap = parameters.calledTSAP {
                buffer.writeBytes([0xC2, UInt8(tsap.count)])
                buffer.writeBytes(tsap)
            }
            if let tsap = parameters.callingTSAP {
                buffer.writeBytes([0xC1, UInt8(tsap.count)])
                buffer.writeBytes(tsap)
            }
        case .disconnectRequest(let destination, let source, let reason):
            buffer.writeTPKTHeader(payloadLength: 7)
            buffer.writeBytes([6, Self.drCode])
            buffer.writeInteger(destination)
            buffer.writeInteger(source)
            buffer.writeInteger(reason)
        case .error(let destination, let cause):
            buffer.writeTPKTHeader(payloadLength: 5)
            buffer.writeBytes([4, Self.erCode])
            buffer.writeInteger(destination)
            buffer.writeInteger(cause)
        }
    }
}

/// The fixed part and variable parameters of a CR or CC TPDU.
public struct COTPConnectionParameters: Sendable, Equatable {
    public var destinationReference: UInt16
    public var sourceReference: UInt16
    /// TPDU size as a power of two (`0x0D` = 8192), or nil when absent (128 octets by default).
    public var tpduSizeExponent: UInt8?
    public var callingTSAP: [UInt8]?
    public var calledTSAP: [UInt8]?

    public init(
        destinationReference: UInt16, sourceReference: UInt16, tpduSizeExponent: UInt8? = nil,
        callingTSAP: [UInt8]? = nil, calledTSAP: [UInt8]? = nil
    ) {
        self.destinationReference = destinationReference
        self.sourceReference = sourceReference
        self.tpduSizeExponent = tpduSizeExponent
        self.callingTSAP = callingTSAP
        self.calledTSAP = calledTSAP
    }
}
