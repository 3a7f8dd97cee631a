import BERCodec
import NIOCore

/// Initiate-RequestPDU (`A8`).
public struct InitiateRequest: Sendable, Equatable {
    public var localDetailCalling: Int64?
    public var maxServicesOutstandingCalling: Int64
    public var maxServicesOutstandingCalled: Int64
    public var dataStructureNestingLevel: Int64?
    public var versionNumber: Int64
    public var parameterCBB: MMSBitString
    public var servicesSupportedCalling: MMSBitString

    public init(
        localDetailCalling: Int64? = nil, maxServicesOutstandingCalling: Int64 = 5, maxServicesOutstandingCalled: Int64 = 5,
        dataStructureNestingLevel: Int64? = 10, versionNumber: Int64 = 1,
        parameterCBB: MMSBitString = MMSBitString(bytes: [0xF1, 0x00], bitCount: 11),
        servicesSupportedCalling: MMSBitString = MMSBitString(bytes: [UInt8](repeating: 0, count: 11), bitCount: 85)
    ) {
        self.localDetailCalling = localDetailCalling
        self.maxServicesOutstandingCalling = maxServicesOutstandingCalling
        self.maxServicesOutstandingCalled = maxServicesOutstandingCalled
        self.dataStructureNestingLevel = dataStructureNestingLevel
        self.versionNumber = versionNumber
        self.parameterCBB = parameterCBB
        self.servicesSupportedCalling = servicesSupportedCalling
    }

    static func decode(_ element: BERElement) throws(MMSDecodeError) -> InitiateRequest {
        var request = InitiateRequest()
        var sawDetail = false
        do {
            var fields = element.children
            while !fields.isAtEnd {
                let field = try fields.readElement()
                switch field.tag {
                case .context(0): request.localDetailCalling = try field.integerValue()
                case .context(1): request.maxServicesOutstandingCalling = try field.integerValue()
                case .context(2): request.maxServicesOutstandingCalled = try field.integerValue()
                case .context(3): request.dataStructureNestingLevel = try field.integerValue()
                case .contextConstructed(4):
                    sawDetail = true
                    var detail = field.children
                    while !detail.isAtEnd {
                        let item = try detail.readElement()
                        switch item.tag {
                        case .context(0): request.versionNumber = try item.integerValue()
                        case .context(1): request.parameterCBB = try MMSBitString(berContent: item.content)
                        case .context(2): request.servicesSupportedCalling = try MMSBitString(berContent: item.content)
                        default: continue
                        }
                    }
                default: continue
                }
            }
        } catch let error as MMSDecodeError {
            throw error
        } catch let error as BERError {
            throw .ber(error)
        } catch {
            throw .invalidArgument("\(error)")
        }
        guard sawDetail else { throw .invalidArgument("initiate request without init request detail") }
        return request
    }
}

/// The values a server puts in its Initiate-ResponsePDU (`A9`).
public struct InitiateResponse: Sendable, Equatable {
    public var localDetailCalled: Int64
    public var maxServicesOutstandingCalling: Int64
    public var maxServicesOutstandingCalled: Int64
    public var dataStructureNestingLevel: Int64
    public var versionNumber: Int64 = 1
    public var parameterCBB: MMSBitString
    public var servicesSupportedCalled: MMSBitString

    public init(
        localDetailCalled: Int64, maxServicesOutstandingCalling: Int64, maxServicesOutstandingCalled: Int64,
        dataStructureNestingLevel: Int64, parameterCBB: MMSBitString, servicesSupportedCalled: MMSBitString
    ) {
        self.localDetailCalled = localDetailCalled
        self.maxServicesOutstandingCalling = maxServicesOutstandingCalling
        self.maxServicesOutstandingCalled = maxServicesOutstandingCalled
        self.dataStructureNestingLevel = dataStructureNestingLevel
        self.parameterCBB = parameterCBB
        self.servicesSupportedCalled = servicesSupportedCalled
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(9)) { pdu in
            pdu.writeBERInteger(.context(0), localDetailCalled)
            pdu.writeBERInteger(.context(1), maxServicesOutstandingCalling)
            pdu.writeBERInteger(.context(2), maxServicesOutstandingCalled)
            pdu.writeBERInteger(.context(3), dataStructureNestingLevel)
            pdu.writeBERElement(.contextConstructed(4)) { detail in
                detail.writeBERInteger(.context(0), versionNumber)
                parameterCBB.encode(tag: .context(1), into: &detail)
                servicesSupportedCalled.encode(tag: .context(2), into: &detail)
            }
        }
    }
}
