import BERCodec
import NIOCore

/// One presentation context proposed in a CP-type.
public struct PresentationContext: Sendable, Equatable {
    public var identifier: Int64
    /// The abstract syntax OID's content octets (for example `28 CA 22 02 01` for MMS).
    public var abstractSyntax: [UInt8]
    /// The transfer syntax OIDs' content octets.
    public var transferSyntaxes: [[UInt8]]

    public init(identifier: Int64, abstractSyntax: [UInt8], transferSyntaxes: [[UInt8]]) {
        self.identifier = identifier
        self.abstractSyntax = abstractSyntax
        self.transferSyntaxes = transferSyntaxes
    }

    /// 2.2.1.0.1
    public static let acseAbstractSyntax: [UInt8] = [0x52, 0x01, 0x00, 0x01]
    /// 1.0.9506.2.1
    public static let mmsAbstractSyntax: [UInt8] = [0x28, 0xCA, 0x22, 0x02, 0x01]
    /// 2.1.1 (basic encoding rules)
    public static let berTransferSyntax: [UInt8] = [0x51, 0x01]
}

/// A presentation data value: the context it belongs to and the encoded APDU.
public struct PresentationDataValue: Sendable, Equatable {
    public var contextIdentifier: Int64
    public var data: ByteBuffer

    public init(contextIdentifier: Int64, data: ByteBuffer) {
        self.contextIdentifier = contextIdentifier
        self.data = data
    }
}

/// The CP-type of a presentation connect (ISO 8823, normal mode).
public struct PresentationConnect: Sendable, Equatable {
    public var callingSelector: [UInt8]?
    public var calledSelector: [UInt8]?
    public var contexts: [PresentationContext] = []
    public var userData: [PresentationDataValue] = []

    public init() {}

    /// Parses a CP-type from a session CONNECT's user data.
    public static func parse(_ buffer: ByteBuffer) throws -> PresentationConnect {
        var outer = BERReader(buffer)
        let set = try outer.readElement(.set)
        var connect = PresentationConnect()
        var items = set.children
        var sawNormalMode = false
        while !items.isAtEnd {
            let item = try items.readElement()
            switch item.tag {
            case .contextConstructed(0):
                var mode = item.children
                let value = try mode.readElement(.context(0)).integerValue()
                guard value == 1 else { throw UpperLayerError.invalidPresentation("mode \(value) is not normal mode") }
            case .contextConstructed(2):
                sawNormalMode = true
                var parameters = item.children
                while !parameters.isAtEnd {
                    let parameter = try parameters.readElement()
                    switch parameter.tag {
                    case .context(1), .context(2):
                        // Presentation selectors are short (4 octets in practice); refuse what cannot be echoed sanely.
                        guard parameter.content.readableBytes <= 16 else {
                            throw UpperLayerError.invalidPresentation("presentation selector of \(parameter.content.readableBytes) octets")
                        }
                        if parameter.tag == .context(1) { connect.callingSelector = parameter.bytes } else { connect.calledSelector = parameter.bytes }
                    case .contextConstructed(4): connect.contexts = try parseContextList(parameter)
                    case .applicationConstructed(1): connect.userData = try parseFullyEncoded(parameter)
                    default: continue  // protocol version, default context, requirements
                    }
                }
            default: continue
            }
        }
        guard sawNormalMode else { throw UpperLayerError.invalidPresentation("CP-type without normal-mode parameters") }
        return connect
    }

    private static func parseContextList(_ list: BERElement) throws -> [PresentationContext] {
        var contexts: [PresentationContext] = []
        var items = list.children
        while !items.isAtEnd {
            var fields = try items.readElement(.sequence).children
            let identifier = try fields.readElement(.integer).integerValue()
            let abstractSyntax = try fields.readElement(.objectIdentifier).bytes
            var transfers: [[UInt8]] = []
            var transferList = try fields.readElement(.sequence).children
            while !transferList.isAtEnd { transfers.append(try transferList.readElement(.objectIdentifier).bytes) }
            contexts.append(PresentationContext(identifier: identifier, abstractSyntax: abstractSyntax, transferSyntaxes: transfers))
        }
        return contexts
    }

    /// Parses fully-encoded user data `61 { 30 { 02 pci, [06 ts], A0 { APDU } }… }`.
    public static func parseFullyEncoded(_ element: BERElement) throws -> [PresentationDataValue] {
        var values: [PresentationDataValue] = []
        try forEachValue(in: element) { value in
            values.append(value)
            return false
        }
        return values
    }

    /// The APDU of the first presentation data value of `context` in fully-encoded user data, without
    /// collecting the others (the data phase's fast path).
    public static func dataValue(ofContext context: Int64, in buffer: ByteBuffer) throws -> ByteBuffer? {
        var reader = BERReader(buffer)
        var found: ByteBuffer?
        try forEachValue(in: reader.readElement()) { value in
            guard value.contextIdentifier == context else { return false }
            found = value.data
            return true
        }
        return found
    }

    /// Calls `body` for each PDV of fully-encoded user data until it returns true.
    private static func forEachValue(in element: BERElement, _ body: (PresentationDataValue) -> Bool) throws {
        guard element.tag == .applicationConstructed(1) else {
            throw UpperLayerError.invalidPresentation("user data is not fully encoded (tag \(element.tag))")
        }
        var list = element.children
        while !list.isAtEnd {
            var pdv = try list.readElement(.sequence).children
            let identifier = try pdv.readElement(.integer).integerValue()
            if let transfer = try pdv.readOptional(.objectIdentifier), transfer.bytes != PresentationContext.berTransferSyntax {
                throw UpperLayerError.invalidPresentation("transfer syntax is not BER")
            }
            let presentation = try pdv.readElement()
            // single-ASN1-type or octet-aligned
            guard presentation.tag == .contextConstructed(0) || presentation.tag == .context(1) else {
                throw UpperLayerError.invalidPresentation("presentation data values of tag \(presentation.tag)")
            }
            if body(PresentationDataValue(contextIdentifier: identifier, data: presentation.content)) { return }
        }
    }

    /// Parses the user data of a data-phase or release SPDU.
    public static func parseUserData(_ buffer: ByteBuffer) throws -> [PresentationDataValue] {
        var reader = BERReader(buffer)
        return try parseFullyEncoded(reader.readElement())
    }
}

/// Writes presentation PDUs.
public enum PresentationEncoder {
    /// Result of one proposed context in a CPA.
    public enum ContextResult: Sendable {
        case acceptance
        /// Provider rejection with reason 2 (abstract syntax not supported) or 3 (transfer syntax not supported).
        case providerRejection(reason: Int64)
    }

    /// CPA-PPDU: mode normal, responding selector, one result per proposed context, and user data.
    public static func writeAccept(
        respondingSelector: [UInt8]?, results: [ContextResult], userData: PresentationDataValue, into buffer: inout ByteBuffer
    ) {
        buffer.writeBERElement(.set) { set in
            set.writeBERElement(.contextConstructed(0)) { $0.writeBERInteger(.context(0), 1) }
            set.writeBERElement(.contextConstructed(2)) { parameters in
                if let respondingSelector { parameters.writeBERPrimitive(.context(3), bytes: respondingSelector) }
                parameters.writeBERElement(.contextConstructed(5)) { list in
                    for result in results {
                        list.writeBERElement(.sequence) { item in
                            switch result {
                            case .acceptance:
                                item.writeBERInteger(.context(0), 0)
                                item.writeBERPrimitive(.context(1), bytes: PresentationContext.berTransferSyntax)
                            case .providerRejection(let reason):
                                item.writeBERInteger(.context(0), 2)
                                item.writeBERInteger(.context(2), reason)
                            }
                        }
                    }
                }
                writeFullyEncoded(userData, into: &parameters)
            }
        }
    }

    /// ARU-PPDU (abort) carrying an ACSE APDU.
    public static func writeAbort(userData: PresentationDataValue, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(0)) { writeFullyEncoded(userData, into: &$0) }
    }

    /// Fully-encoded user data with one PDV (single-ASN1-type).
    public static func writeFullyEncoded(_ value: PresentationDataValue, into buffer: inout ByteBuffer) {
        writeFullyEncoded(contextIdentifier: value.contextIdentifier, into: &buffer) { $0.writeImmutableBuffer(value.data) }
    }

    /// Fully-encoded user data with one PDV whose APDU `body` writes in place.
    @inlinable
    public static func writeFullyEncoded(contextIdentifier: Int64, into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void) {
        buffer.writeBERElement(.applicationConstructed(1)) { list in
            list.writeBERElement(.sequence) { pdv in
                pdv.writeBERInteger(.integer, contextIdentifier)
                pdv.writeBERElement(.contextConstructed(0), body)
            }
        }
    }
}
