import BERCodec
import NIOCore

/// Writes the PDUs an MMS server sends.
public enum MMSResponseEncoder {
    /// confirmed-ResponsePDU (`A1`): the invoke id, then the service response that `body` writes.
    @inlinable
    public static func writeConfirmedResponse(invokeID: UInt32, into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void) {
        buffer.writeBERElement(.contextConstructed(1)) { pdu in
            pdu.writeBERUnsigned(.integer, UInt64(invokeID))
            body(&pdu)
        }
    }

    /// confirmed-ErrorPDU (`A2`).
    public static func writeConfirmedError(invokeID: UInt32, error: ServiceError, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(2)) { pdu in
            pdu.writeBERUnsigned(.context(0), UInt64(invokeID))
            pdu.writeBERElement(.contextConstructed(2)) { error.encodeBody(into: &$0) }
        }
    }

    /// RejectPDU (`A4`).
    public static func writeReject(invokeID: UInt32?, reason: RejectReason, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(4)) { pdu in
            if let invokeID { pdu.writeBERUnsigned(.context(0), UInt64(invokeID)) }
            let (tag, code) = reason.tagAndCode
            pdu.writeBERInteger(.context(tag), code)
        }
    }

    /// initiate-ErrorPDU (`AA`) with error class initiate and the given code.
    public static func writeInitiateError(code: Int64, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(10)) { ServiceError(.initiate, code).encodeBody(into: &$0) }
    }

    /// conclude-ResponsePDU (`8C 00`).
    public static func writeConcludeResponse(into buffer: inout ByteBuffer) {
        buffer.writeBytes([0x8C, 0x00])
    }

    /// Identify-Response.
    public static func writeIdentifyResponse(vendor: String, model: String, revision: String, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(2)) { response in
            response.writeBERString(.context(0), vendor)
            response.writeBERString(.context(1), model)
            response.writeBERString(.context(2), revision)
        }
    }

    /// Status-Response: logical status 0 (state changes allowed), physical status 0 (operational).
    public static func writeStatusResponse(into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(0)) { response in
            response.writeBERInteger(.context(0), 0)
            response.writeBERInteger(.context(1), 0)
        }
    }

    /// GetNameList-Response.
    public static func writeGetNameListResponse(names: some Sequence<String>, moreFollows: Bool, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(1)) { response in
            response.writeBERElement(.contextConstructed(0)) { list in
                for name in names { list.writeBERString(.visibleString, name) }
            }
            response.writeBERBoolean(.context(1), moreFollows)
        }
    }

    /// GetVariableAccessAttributes-Response with mmsDeletable FALSE.
    public static func writeGetVariableAccessAttributesResponse(type: TypeSpecification, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(6)) { response in
            response.writeBERBoolean(.context(0), false)
            response.writeBERElement(.contextConstructed(2)) { type.encode(into: &$0) }
        }
    }

    /// Write-Response: one result per written item (nil = success).
    public static func writeWriteResponse(results: [DataAccessError?], into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(5)) { response in
            for result in results {
                if let error = result {
                    response.writeBERInteger(.context(0), error.rawValue)
                } else {
                    response.writeBytes([0x81, 0x00])
                }
            }
        }
    }

    /// A failed AccessResult (`80 01 code`).
    public static func writeAccessFailure(_ error: DataAccessError, into buffer: inout ByteBuffer) {
        buffer.writeBERInteger(.context(0), error.rawValue)
    }
}

/// The services-supported bit string (85 bits) of an initiate response.
public struct ServicesSupported: Sendable, Equatable {
    public static let status = 0
    public static let getNameList = 1
    public static let identify = 2
    public static let read = 4
    public static let write = 5
    public static let getVariableAccessAttributes = 6
    public static let defineNamedVariableList = 11
    public static let getNamedVariableListAttributes = 12
    public static let deleteNamedVariableList = 13
    public static let obtainFile = 46
    public static let readJournal = 65
    public static let fileOpen = 72
    public static let fileRead = 73
    public static let fileClose = 74
    public static let fileDelete = 76
    public static let fileDirectory = 77
    public static let informationReport = 79
    public static let conclude = 83
    public static let cancel = 84

    public private(set) var bitString = MMSBitString(bytes: [UInt8](repeating: 0, count: 11), bitCount: 85)

    public init(_ services: [Int]) {
        for service in services { bitString.bytes[service / 8] |= 0x80 >> UInt8(service % 8) }
    }

    /// These services and `more`.
    public func adding(_ more: [Int]) -> ServicesSupported {
        var copy = self
        for service in more { copy.bitString.bytes[service / 8] |= 0x80 >> UInt8(service % 8) }
        return copy
    }

    /// Whether the service of this number is offered.
    public func contains(_ service: Int) -> Bool {
        bitString.bytes[service / 8] & (0x80 >> UInt8(service % 8)) != 0
    }
}
