/// Errors of the server API (not of the protocol). Each case has a stable code.
public enum ServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No attribute at this reference.
    case unknownReference(String)
    /// The reference names a data object or a constructed attribute, not a basic one.
    case notABasicAttribute(String)
    /// The value does not fit the attribute's type or range.
    case typeMismatch(reference: String, expected: String)
    /// `start()` on a running server.
    case alreadyRunning
    /// Binding the listening socket failed.
    case bindFailed(String)
    /// The reference is not a controllable data object (one with an Oper).
    case notControllable(String)
    /// The TLS certificates, key or CRLs cannot be used (the ``TLSError`` says which file and why).
    case tls(TLSError)
    /// Neither the plain nor the TLS listener is configured.
    case noListener

    public var code: Int {
        switch self {
        case .unknownReference: 501
        case .notABasicAttribute: 502
        case .typeMismatch: 503
        case .alreadyRunning: 504
        case .bindFailed: 505
        case .notControllable: 506
        case .tls: 507
        case .noListener: 508
        }
    }

    public var description: String {
        switch self {
        case .unknownReference(let reference): "SRV-501 no attribute at '\(reference)'"
        case .notABasicAttribute(let reference): "SRV-502 '\(reference)' is not a basic attribute"
        case .typeMismatch(let reference, let expected): "SRV-503 value for '\(reference)' must be \(expected)"
        case .alreadyRunning: "SRV-504 the server is already running"
        case .bindFailed(let why): "SRV-505 cannot listen: \(why)"
        case .notControllable(let reference): "SRV-506 '\(reference)' is not a controllable data object"
        case .tls(let error): "SRV-507 TLS-\(error.code) \(error)"
        case .noListener: "SRV-508 nothing to listen on: the plain listener is off and no TLS listener is configured"
        }
    }
}
