import BERCodec

/// Why an MMS PDU could not be decoded. Each case has a stable code; the server answers with a reject.
public enum MMSDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case ber(BERError)
    case nestingTooDeep
    case invalidData(String)
    case unsupportedData(BERTag)
    case unknownPDU(BERTag)
    case unknownService(BERTag)
    case invalidArgument(String)

    public var code: Int {
        switch self {
        case .ber: 301
        case .nestingTooDeep: 302
        case .invalidData: 303
        case .unsupportedData: 304
        case .unknownPDU: 305
        case .unknownService: 306
        case .invalidArgument: 307
        }
    }

    public var description: String {
        switch self {
        case .ber(let error): "MMS-301 \(error)"
        case .nestingTooDeep: "MMS-302 data nested too deep"
        case .invalidData(let why): "MMS-303 invalid data: \(why)"
        case .unsupportedData(let tag): "MMS-304 unsupported data tag \(tag)"
        case .unknownPDU(let tag): "MMS-305 unknown MMS PDU tag \(tag)"
        case .unknownService(let tag): "MMS-306 unsupported service tag \(tag)"
        case .invalidArgument(let why): "MMS-307 invalid argument: \(why)"
        }
    }
}
