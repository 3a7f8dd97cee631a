import BERCodec
import NIOCore

/// An MMS PDU received by a server.
public enum MMSRequestPDU: Sendable, Equatable {
    case confirmedRequest(invokeID: UInt32, ConfirmedServiceRequest)
    case initiateRequest(InitiateRequest)
    case concludeRequest
    case cancelRequest(invokeID: UInt32)
    /// A confirmed response to a request the server sent (the file services of ObtainFile): the invoke
    /// id and the service element.
    case confirmedResponse(invokeID: UInt32, BERElement)
    /// A confirmed error to a request the server sent.
    case confirmedError(invokeID: UInt32)
    /// A reject from the peer (ignored, as libIEC61850 does).
    case reject
    /// A PDU a client has no reason to send a server (responses, errors, unconfirmed): ignored.
    case ignored

    /// Decodes one MMS PDU.
    ///
    /// A confirmed request whose invoke id decodes but whose service does not raises
    /// ``MMSRequestDecodeFailure`` with the invoke id, so the server can reject that request precisely.
    public static func decode(_ buffer: ByteBuffer) throws(MMSRequestDecodeFailure) -> MMSRequestPDU {
        var reader = BERReader(buffer)
        let pdu: BERElement
        do {
            pdu = try reader.readElement()
        } catch {
            throw MMSRequestDecodeFailure(invokeID: nil, error: .ber(error))
        }
        switch (pdu.tag.tagClass, pdu.tag.isConstructed, pdu.tag.number) {
        case (.contextSpecific, true, 0):
            var fields = pdu.children
            let invokeID: UInt32
            do {
                let value = try fields.readElement(.integer).integerValue()
                guard value >= 0, value <= Int64(UInt32.max) else { throw BERError.invalidValue("invoke id \(value)") }
                invokeID = UInt32(value)
            } catch let error as BERError {
                throw MMSRequestDecodeFailure(invokeID: nil, error: .ber(error))
            } catch {
                throw MMSRequestDecodeFailure(invokeID: nil, error: .invalidArgument("invoke id"))
            }
            do {
                var service = try fields.readElement()
                if service.tag == .sequence {  // listOfModifier: not supported, skip it
                    service = try fields.readElement()
                }
                return .confirmedRequest(invokeID: invokeID, try ConfirmedServiceRequest.decode(service))
            } catch let error as MMSDecodeError {
                throw MMSRequestDecodeFailure(invokeID: invokeID, error: error)
            } catch let error as BERError {
                throw MMSRequestDecodeFailure(invokeID: invokeID, error: .ber(error))
            } catch {
                throw MMSRequestDecodeFailure(invokeID: invokeID, error: .invalidArgument("\(error)"))
            }
        case (.contextSpecific, true, 8):
            do {
                return .initiateRequest(try InitiateRequest.decode(pdu))
            } catch {
                throw MMSRequestDecodeFailure(invokeID: nil, error: error)
            }
        case (.contextSpecific, false, 11): return .concludeRequest
        case (.contextSpecific, false, 5):
            do {
                let value = try pdu.integerValue()
                return .cancelRequest(invokeID: UInt32(truncatingIfNeeded: value))
            } catch {
                throw MMSRequestDecodeFailure(invokeID: nil, error: .ber(error))
            }
        case (.contextSpecific, true, 4): return .reject
        case (.contextSpecific, true, 1):
            var fields = pdu.children
            guard let id = try? fields.readElement(.integer).integerValue(), let invokeID = UInt32(exactly: id), let service = try? fields.readElement()
            else { return .ignored }
            return .confirmedResponse(invokeID: invokeID, service)
        case (.contextSpecific, true, 2):
            var fields = pdu.children
            guard let id = try? fields.readElement(.context(0)).integerValue(), let invokeID = UInt32(exactly: id) else { return .ignored }
            return .confirmedError(invokeID: invokeID)
        case (.contextSpecific, true, 3), (.contextSpecific, false, 6), (.contextSpecific, true, 7), (.contextSpecific, false, 12),
            (.contextSpecific, true, 13):
            return .ignored
        default:
            throw MMSRequestDecodeFailure(invokeID: nil, error: .unknownPDU(pdu.tag))
        }
    }
}

/// A PDU that could not be decoded, with the invoke id when it was readable.
public struct MMSRequestDecodeFailure: Error, Sendable, Equatable {
    public var invokeID: UInt32?
    public var error: MMSDecodeError

    public init(invokeID: UInt32?, error: MMSDecodeError) {
        self.invokeID = invokeID
        self.error = error
    }

    /// The reject reason a server sends for this failure.
    public var rejectReason: RejectReason {
        guard invokeID != nil else { return .pduError(.invalidPDU) }
        switch error.code {
        case .unknownService: return .confirmedRequest(.unrecognizedService)
        case .nestingTooDeep: return .confirmedRequest(.maxRecursionExceeded)
        default: return .confirmedRequest(.invalidArgument)
        }
    }
}
