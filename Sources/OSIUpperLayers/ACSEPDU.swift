import BERCodec
import NIOCore

/// An AARQ (association request, `60`), the parts a server uses.
public struct AssociationRequest: Sendable, Equatable {
    /// Content octets of the application context name OID (`28 CA 22 02 03` for MMS).
    public var applicationContextName: [UInt8] = []
    public var calledAPTitle: [UInt8]?
    public var calledAEQualifier: Int64?
    public var callingAPTitle: [UInt8]?
    public var callingAEQualifier: Int64?
    /// The mechanism name OID's content octets (`52 03 01` = password, 2.2.3.1).
    public var mechanismName: [UInt8]?
    /// The calling authentication value's octets (the password for the charstring form).
    public var authenticationValue: [UInt8]?
    /// The presentation context id named by the EXTERNAL's indirect reference.
    public var userInformationContext: Int64?
    /// The MMS PDU carried in user information.
    public var userInformation: ByteBuffer?

    public static let mmsApplicationContext: [UInt8] = [0x28, 0xCA, 0x22, 0x02, 0x03]
    public static let passwordMechanism: [UInt8] = [0x52, 0x03, 0x01]

    public init() {}

    /// Parses an AARQ APDU (the whole `60` element).
    public static func parse(_ buffer: ByteBuffer) throws -> AssociationRequest {
        var outer = BERReader(buffer)
        let apdu = try outer.readElement(.applicationConstructed(0))
        var request = AssociationRequest()
        var fields = apdu.children
        while !fields.isAtEnd {
            let field = try fields.readElement()
            switch field.tag {
            case .contextConstructed(1):
                var inner = field.children
                request.applicationContextName = try inner.readElement(.objectIdentifier).bytes
            case .contextConstructed(2): request.calledAPTitle = try apTitle(field)
            case .contextConstructed(3): request.calledAEQualifier = try aeQualifier(field)
            case .contextConstructed(6): request.callingAPTitle = try apTitle(field)
            case .contextConstructed(7): request.callingAEQualifier = try aeQualifier(field)
            case .context(11): request.mechanismName = field.bytes
            case .contextConstructed(12):
                var inner = field.children
                let value = try inner.readElement()
                switch value.tag {
                case .context(0), .contextConstructed(0): request.authenticationValue = value.bytes
                case .context(1): request.authenticationValue = Array(value.bytes.dropFirst())
                default: request.authenticationValue = value.bytes
                }
            case .contextConstructed(30):
                var list = field.children
                var external = try list.readElement(.external).children
                while !external.isAtEnd {
                    let part = try external.readElement()
                    switch part.tag {
                    case .integer: request.userInformationContext = try part.integerValue()
                    case .contextConstructed(0): request.userInformation = part.content
                    case .context(1): request.userInformation = part.content
                    default: continue
                    }
                }
            default: continue
            }
        }
        return request
    }

    private static func apTitle(_ field: BERElement) throws -> [UInt8]? {
        var inner = field.children
        guard !inner.isAtEnd else { return nil }
        return try inner.readElement().bytes
    }

    private static func aeQualifier(_ field: BERElement) throws -> Int64? {
        var inner = field.children
        guard !inner.isAtEnd else { return nil }
        let value = try inner.readElement()
        return value.tag == .integer ? try value.integerValue() : nil
    }
}

/// Result of an association, as carried in an AARE.
public enum AssociationResult: Sendable, Equatable {
    case accepted
    /// Rejected permanently with a service-user diagnostic (13 authentication-failure, 14 authentication-required,
    /// 2 application-context-name-not-supported, 1 no-reason-given).
    case rejectedPermanent(diagnostic: Int64)

    public static let authenticationFailure: AssociationResult = .rejectedPermanent(diagnostic: 13)
    public static let authenticationRequired: AssociationResult = .rejectedPermanent(diagnostic: 14)
}

/// Writes ACSE APDUs.
public enum ACSEEncoder {
    /// AARE (`61`) with the MMS application context, the result and, when given, the MMS PDU as user information.
    public static func writeAssociationResponse(
        result: AssociationResult, mmsContextIdentifier: Int64, into buffer: inout ByteBuffer,
        userInformation: ((inout ByteBuffer) -> Void)?
    ) {
        buffer.writeBERElement(.applicationConstructed(1)) { aare in
            aare.writeBERElement(.contextConstructed(1)) {
                $0.writeBERPrimitive(.objectIdentifier, bytes: AssociationRequest.mmsApplicationContext)
            }
            let (code, diagnostic): (Int64, Int64) =
                switch result {
                case .accepted: (0, 0)
                case .rejectedPermanent(let diagnostic): (1, diagnostic)
                }
            aare.writeBERElement(.contextConstructed(2)) { $0.writeBERInteger(.integer, code) }
            aare.writeBERElement(.contextConstructed(3)) { diag in
                diag.writeBERElement(.contextConstructed(1)) { $0.writeBERInteger(.integer, diagnostic) }
            }
            if let userInformation {
                aare.writeBERElement(.contextConstructed(30)) { list in
                    list.writeBERElement(.external) { external in
                        external.writeBERInteger(.integer, mmsContextIdentifier)
                        external.writeBERElement(.contextConstructed(0), userInformation)
                    }
                }
            }
        }
    }

    /// RLRE (`63`) with reason normal.
    public static func writeReleaseResponse(into buffer: inout ByteBuffer) {
        buffer.writeBytes([0x63, 0x03, 0x80, 0x01, 0x00])
    }

    /// ABRT (`64`) from the service provider (source 1).
    public static func writeAbort(into buffer: inout ByteBuffer) {
        buffer.writeBytes([0x64, 0x03, 0x80, 0x01, 0x01])
    }
}

/// The release and abort APDUs a peer may send in the data phase.
public enum ACSEReleasePDU: Sendable, Equatable {
    case releaseRequest
    case releaseResponse
    case abort

    public static func parse(_ buffer: ByteBuffer) throws -> ACSEReleasePDU {
        var reader = BERReader(buffer)
        let apdu = try reader.readElement()
        switch apdu.tag {
        case .applicationConstructed(2): return .releaseRequest
        case .applicationConstructed(3): return .releaseResponse
        case .applicationConstructed(4): return .abort
        default: throw UpperLayerError.invalidACSE("unexpected APDU tag \(apdu.tag)")
        }
    }
}
