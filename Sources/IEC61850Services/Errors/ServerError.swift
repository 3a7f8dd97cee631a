/// An error of the server's and the services' API (not of the protocol): a stable code of the SRV-5xx
/// family and a message in words.
///
/// ```swift
/// do { try server.update("LD0/GGIO1.Nope.stVal", to: .boolean(true)) } catch let error as ServerError {
///     if error.code == .unknownReference { … }
///     print(error)  // SRV-501 no attribute at 'LD0/GGIO1.Nope.stVal'
/// }
/// ```
public struct ServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of error, with its number (SRV-5xx).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The number in the family (501…).
        public let number: Int

        private init(_ number: Int) { self.number = number }

        /// No attribute at this reference.
        public static let unknownReference = Code(501)
        /// The reference names a data object or a constructed attribute, not a basic one.
        public static let notABasicAttribute = Code(502)
        /// The value does not fit the attribute's type or range.
        public static let typeMismatch = Code(503)
        /// `start()` on a running server.
        public static let alreadyRunning = Code(504)
        /// Binding the listening socket failed.
        public static let bindFailed = Code(505)
        /// The reference is not a controllable data object (one with an Oper).
        public static let notControllable = Code(506)
        /// The TLS certificates, key or CRLs cannot be used.
        public static let tls = Code(507)
        /// Neither the plain nor the TLS listener is configured.
        public static let noListener = Code(508)
        /// The reference is not a substitutable data object (one with subEna and a substitute in FC SV).
        public static let notSubstitutable = Code(509)

        public var description: String { "SRV-\(number)" }
    }

    public let code: Code
    /// What went wrong, in words.
    public let message: String

    /// An error with a code and message; the cases below make the server's own.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code) \(message)" }

    public static func unknownReference(_ reference: String) -> ServerError { ServerError(.unknownReference, "no attribute at '\(reference)'") }
    public static func notABasicAttribute(_ reference: String) -> ServerError {
        ServerError(.notABasicAttribute, "'\(reference)' is not a basic attribute")
    }
    public static func typeMismatch(reference: String, expected: String) -> ServerError {
        ServerError(.typeMismatch, "value for '\(reference)' must be \(expected)")
    }
    public static let alreadyRunning = ServerError(.alreadyRunning, "the server is already running")
    public static func bindFailed(_ why: String) -> ServerError { ServerError(.bindFailed, "cannot listen: \(why)") }
    public static func notControllable(_ reference: String) -> ServerError {
        ServerError(.notControllable, "'\(reference)' is not a controllable data object")
    }
    public static func notSubstitutable(_ reference: String) -> ServerError {
        ServerError(.notSubstitutable, "'\(reference)' is not a substitutable data object (no subEna and substitute in FC SV)")
    }
    public static let noListener = ServerError(.noListener, "nothing to listen on: the plain listener is off and no TLS listener is configured")
}
