/// A violation of TPKT or COTP rules by the peer. It carries a stable code and a message.
public struct TransportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of error, with its stable number (TP-1xx: transport).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The number in the family.
        public let number: Int

        private init(_ number: Int) { self.number = number }

        public static let invalidTPKTHeader = Code(101)
        public static let invalidTPKTLength = Code(102)
        public static let frameTooLarge = Code(103)
        public static let invalidTPDU = Code(104)
        public static let unsupportedTPDU = Code(105)
        public static let reassemblyOverflow = Code(106)

        public var description: String { "TP-\(number)" }
    }

    public let code: Code
    /// What went wrong, in words.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code) \(message)" }

    public static let invalidTPKTHeader = TransportError(.invalidTPKTHeader, "TPKT header is not 03 00")

    public static func invalidTPKTLength(_ length: Int) -> TransportError { TransportError(.invalidTPKTLength, "TPKT length \(length) is too small") }

    public static func frameTooLarge(_ length: Int, maximum: Int) -> TransportError {
        TransportError(.frameTooLarge, "TPKT frame of \(length) octets exceeds \(maximum)")
    }

    public static func invalidTPDU(_ why: String) -> TransportError { TransportError(.invalidTPDU, "malformed COTP TPDU: \(why)") }

    public static func unsupportedTPDU(_ code: UInt8) -> TransportError { TransportError(.unsupportedTPDU, "unsupported COTP TPDU code \(code)") }

    public static func reassemblyOverflow(_ size: Int) -> TransportError { TransportError(.reassemblyOverflow, "reassembled TSDU exceeds \(size) octets") }
}
