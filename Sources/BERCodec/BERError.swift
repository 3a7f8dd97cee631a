/// Why a BER decode failed. It carries a stable code for logs and metrics, and a message.
public struct BERError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of error, with its stable number (BER-n: BER decoding).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The number in the family.
        public let number: Int

        private init(_ number: Int) { self.number = number }

        /// The input ended inside an identifier, a length or a value.
        public static let truncated = Code(1)
        /// A length form this codec refuses (reserved `FF`, more than four length octets).
        public static let invalidLength = Code(2)
        /// A tag number too large for this codec.
        public static let invalidTag = Code(3)
        /// Elements nested deeper than the decoder allows.
        public static let nestingTooDeep = Code(4)
        /// The element was not what the grammar expects here.
        public static let unexpectedTag = Code(5)
        /// A required element is missing.
        public static let missingElement = Code(6)
        /// A primitive value has an impossible encoding (integer too wide, bad boolean length…).
        public static let invalidValue = Code(7)

        public var description: String { "BER-\(number)" }
    }

    public let code: Code
    /// What went wrong, in words.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code) \(message)" }

    public static let truncated = BERError(.truncated, "truncated element")

    public static let invalidLength = BERError(.invalidLength, "invalid length")

    public static let invalidTag = BERError(.invalidTag, "invalid tag")

    public static let nestingTooDeep = BERError(.nestingTooDeep, "nesting too deep")

    public static func unexpectedTag(expected: BERTag, found: BERTag) -> BERError { BERError(.unexpectedTag, "expected tag \(expected), found \(found)") }

    public static func missingElement(_ what: String) -> BERError { BERError(.missingElement, "missing \(what)") }

    public static func invalidValue(_ what: String) -> BERError { BERError(.invalidValue, "invalid value: \(what)") }
}
