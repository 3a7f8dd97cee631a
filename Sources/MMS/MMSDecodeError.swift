import BERCodec

/// Why an MMS PDU could not be decoded. It carries a stable code and a message; the server answers with a reject.
public struct MMSDecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of error, with its stable number (MMS-3xx: MMS decoding).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The number in the family.
        public let number: Int

        private init(_ number: Int) { self.number = number }

        public static let ber = Code(301)
        public static let nestingTooDeep = Code(302)
        public static let invalidData = Code(303)
        public static let unsupportedData = Code(304)
        public static let unknownPDU = Code(305)
        public static let unknownService = Code(306)
        public static let invalidArgument = Code(307)

        public var description: String { "MMS-\(number)" }
    }

    public let code: Code
    /// What went wrong, in words.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code) \(message)" }

    public static func ber(_ error: BERError) -> MMSDecodeError { MMSDecodeError(.ber, "\(error)") }

    public static let nestingTooDeep = MMSDecodeError(.nestingTooDeep, "data nested too deep")

    public static func invalidData(_ why: String) -> MMSDecodeError { MMSDecodeError(.invalidData, "invalid data: \(why)") }

    public static func unsupportedData(_ tag: BERTag) -> MMSDecodeError { MMSDecodeError(.unsupportedData, "unsupported data tag \(tag)") }

    public static func unknownPDU(_ tag: BERTag) -> MMSDecodeError { MMSDecodeError(.unknownPDU, "unknown MMS PDU tag \(tag)") }

    public static func unknownService(_ tag: BERTag) -> MMSDecodeError { MMSDecodeError(.unknownService, "unsupported service tag \(tag)") }

    public static func invalidArgument(_ why: String) -> MMSDecodeError { MMSDecodeError(.invalidArgument, "invalid argument: \(why)") }
}
