/// A violation of the session, presentation or ACSE rules by the peer. It carries a stable code and a message.
public struct UpperLayerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of error, with its stable number (UL-2xx: session, presentation and ACSE).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The number in the family.
        public let number: Int

        private init(_ number: Int) { self.number = number }

        public static let invalidSPDU = Code(201)
        public static let unexpectedSPDU = Code(202)
        public static let invalidPresentation = Code(203)
        public static let invalidACSE = Code(204)

        public var description: String { "UL-\(number)" }
    }

    public let code: Code
    /// What went wrong, in words.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code) \(message)" }

    public static func invalidSPDU(_ why: String) -> UpperLayerError { UpperLayerError(.invalidSPDU, "malformed session SPDU: \(why)") }

    public static func unexpectedSPDU(_ code: UInt8) -> UpperLayerError { UpperLayerError(.unexpectedSPDU, "unexpected session SPDU \(code)") }

    public static func invalidPresentation(_ why: String) -> UpperLayerError { UpperLayerError(.invalidPresentation, "malformed presentation PDU: \(why)") }

    public static func invalidACSE(_ why: String) -> UpperLayerError { UpperLayerError(.invalidACSE, "malformed ACSE APDU: \(why)") }
}
