import NIOCore

/// The ISO 8327-1 SPDUs an MMS server meets (kernel and duplex functional units).
public enum SessionPDU: Sendable, Equatable {
    /// CONNECT (SI 13) with its parameters and user data (the CP-type).
    case connect(SessionConnectParameters, userData: ByteBuffer)
    /// The data phase: GIVE TOKENS + DATA TRANSFER (`01 00 01 00`) and the presentation data.
    case data(ByteBuffer)
    /// FINISH (SI 9) carrying a release request.
    case finish(userData: ByteBuffer)
    /// DISCONNECT (SI 10).
    case disconnect(userData: ByteBuffer)
    /// ABORT (SI 25).
    case abort(userData: ByteBuffer)
    /// NOT FINISHED (SI 8).
    case notFinished(userData: ByteBuffer)

    public static let connectSI: UInt8 = 13
    public static let acceptSI: UInt8 = 14
    public static let refuseSI: UInt8 = 12
    public static let finishSI: UInt8 = 9
    public static let disconnectSI: UInt8 = 10
    public static let notFinishedSI: UInt8 = 8
    public static let abortSI: UInt8 = 25
    public static let dataSI: UInt8 = 1

    /// Parses the SPDU (or the GT+DT concatenation) at the start of a TSDU.
    public static func parse(_ tsdu: ByteBuffer) throws -> SessionPDU {
        var buffer = tsdu
        guard let si = buffer.readInteger(as: UInt8.self) else { throw UpperLayerError.invalidSPDU("empty TSDU") }
        var parameters = try readParameterField(&buffer)
        switch si {
        case dataSI:
            // GT (possibly with parameters) followed by DT; the DT's LI is followed by user data.
            guard buffer.readInteger(as: UInt8.self) == dataSI else { throw UpperLayerError.invalidSPDU("GIVE TOKENS not followed by DATA TRANSFER") }
            _ = try readParameterField(&buffer)
            return .data(buffer)
        case connectSI:
            var connect = SessionConnectParameters()
            var userData: ByteBuffer?
            try walkParameters(&parameters) { code, value in
                switch code {
                case 5:  // Connect/Accept Item: protocol options (19), version (22)
                    var item = value
                    try walkParameters(&item) { inner, innerValue in
                        if inner == 19 { connect.protocolOptions = innerValue.getInteger(at: innerValue.readerIndex) ?? 0 }
                        if inner == 22 { connect.versionNumber = innerValue.getInteger(at: innerValue.readerIndex) ?? 2 }
                    }
                case 20:
                    connect.sessionRequirements = innerUInt16(value) ?? 2
                case 51, 52:
                    // ISO 8327 limits session selectors to 16 octets; a longer one is a protocol error.
                    guard value.readableBytes <= 16 else { throw UpperLayerError.invalidSPDU("session selector of \(value.readableBytes) octets") }
                    if code == 51 { connect.callingSSEL = Array(value.readableBytesView) } else { connect.calledSSEL = Array(value.readableBytesView) }
                case 193, 194: userData = value
                default: break
                }
            }
            guard let userData else { throw UpperLayerError.invalidSPDU("CONNECT without user data") }
            return .connect(connect, userData: userData)
        case finishSI, disconnectSI, abortSI, notFinishedSI:
            var userData = ByteBuffer()
            try walkParameters(&parameters) { code, value in
                if code == 193 || code == 194 { userData = value }
            }
            switch si {
            case finishSI: return .finish(userData: userData)
            case disconnectSI: return .disconnect(userData: userData)
            case abortSI: return .abort(userData: userData)
            default: return .notFinished(userData: userData)
            }
        default:
            throw UpperLayerError.unexpectedSPDU(si)
        }
    }

    /// Reads an LI (one octet, or `FF` and two octets) and the parameter field it measures.
    static func readParameterField(_ buffer: inout ByteBuffer) throws(UpperLayerError) -> ByteBuffer {
        guard let length = try readLength(&buffer), let field = buffer.readSlice(length: length) else {
            throw .invalidSPDU("length beyond the TSDU")
        }
        return field
    }

    static func readLength(_ buffer: inout ByteBuffer) throws(UpperLayerError) -> Int? {
        guard let first = buffer.readInteger(as: UInt8.self) else { return nil }
        if first < 255 { return Int(first) }
        guard let long = buffer.readInteger(as: UInt16.self) else { throw .invalidSPDU("truncated long length") }
        return Int(long)
    }

    /// Calls `body` for each PI/PGI unit (code, value) in a parameter field.
    static func walkParameters(_ field: inout ByteBuffer, _ body: (UInt8, ByteBuffer) throws -> Void) throws {
        while field.readableBytes > 0 {
            let code = field.readInteger(as: UInt8.self)!
            guard let length = try readLength(&field), let value = field.readSlice(length: length) else {
                throw UpperLayerError.invalidSPDU("parameter \(code) truncated")
            }
            try body(code, value)
        }
    }

    private static func innerUInt16(_ value: ByteBuffer) -> UInt16? {
        if value.readableBytes == 2 { return value.getInteger(at: value.readerIndex) }
        if value.readableBytes == 1 { return value.getInteger(at: value.readerIndex, as: UInt8.self).map(UInt16.init) }
        return nil
    }
}

/// What a CONNECT SPDU proposes; the ACCEPT echoes the relevant parts.
public struct SessionConnectParameters: Sendable, Equatable {
    public var protocolOptions: UInt8 = 0
    public var versionNumber: UInt8 = 2
    public var sessionRequirements: UInt16 = 2
    public var callingSSEL: [UInt8]?
    public var calledSSEL: [UInt8]?

    public init() {}
}

extension ByteBuffer {
    /// Writes a session length indicator: one octet up to 254, else `FF` and two octets.
    mutating func writeSessionLength(_ length: Int) {
        if length < 255 {
            writeInteger(UInt8(length))
        } else {
            writeInteger(UInt8(255))
            writeInteger(UInt16(length))
        }
    }
}
