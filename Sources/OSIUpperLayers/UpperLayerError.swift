/// A violation of the session, presentation or ACSE rules by the peer. Each case has a stable code.
public enum UpperLayerError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidSPDU(String)
    case unexpectedSPDU(UInt8)
    case invalidPresentation(String)
    case invalidACSE(String)

    public var code: Int {
        switch self {
        case .invalidSPDU: 201
        case .unexpectedSPDU: 202
        case .invalidPresentation: 203
        case .invalidACSE: 204
        }
    }

    public var description: String {
        switch self {
        case .invalidSPDU(let why): "UL-201 malformed session SPDU: \(why)"
        case .unexpectedSPDU(let code): "UL-202 unexpected session SPDU \(code)"
        case .invalidPresentation(let why): "UL-203 malformed presentation PDU: \(why)"
        case .invalidACSE(let why): "UL-204 malformed ACSE APDU: \(why)"
        }
    }
}
