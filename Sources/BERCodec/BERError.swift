/// Why a BER decode failed. Each case has a stable numeric code for logs and metrics.
public enum BERError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended inside an identifier, a length or a value.
    case truncated
    /// A length form this codec refuses (reserved `FF`, more than four length octets).
    case invalidLength
    /// A tag number too large for this codec.
    case invalidTag
    /// Elements nested deeper than the decoder allows.
    case nestingTooDeep
    /// The element was not what the grammar expects here.
    case unexpectedTag(expected: BERTag, found: BERTag)
    /// A required element is missing.
    case missingElement(String)
    /// A primitive value has an impossible encoding (integer too wide, bad boolean length…).
    case invalidValue(String)

    public var code: Int {
        switch self {
        case .truncated: 1
        case .invalidLength: 2
        case .invalidTag: 3
        case .nestingTooDeep: 4
        case .unexpectedTag: 5
        case .missingElement: 6
        case .invalidValue: 7
        }
    }

    public var description: String {
        switch self {
        case .truncated: "BER-1 truncated element"
        case .invalidLength: "BER-2 invalid length"
        case .invalidTag: "BER-3 invalid tag"
        case .nestingTooDeep: "BER-4 nesting too deep"
        case .unexpectedTag(let expected, let found): "BER-5 expected tag \(expected), found \(found)"
        case .missingElement(let what): "BER-6 missing \(what)"
        case .invalidValue(let what): "BER-7 invalid value: \(what)"
        }
    }
}
