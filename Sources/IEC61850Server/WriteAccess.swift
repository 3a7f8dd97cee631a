import IEC61850Model
import IEC61850Services
import MMS

/// A client's write of one basic attribute, as a write access handler sees it.
public struct WriteAccess: Sendable {
    /// The attribute written.
    public let attribute: AttributeHandle
    /// Its value before the write.
    public let currentValue: DataValue
    /// The value the client wants to write.
    public let newValue: DataValue
    /// Who writes.
    public let connection: ClientConnection
}

/// A write access handler's answer.
public enum WriteDecision: Sendable, Equatable {
    case accept
    /// Refuse the write with this reason (object-access-denied, object-value-invalid, temporarily-unavailable…).
    case deny(WriteRefusal)
}

/// Why a write is refused, as the client sees it (an MMS DataAccessError).
public enum WriteRefusal: Sendable, Equatable {
    case objectAccessDenied
    case objectValueInvalid
    case temporarilyUnavailable
    case typeInconsistent
    case objectAttributeInconsistent
    case hardwareFault

    var dataAccessError: DataAccessError {
        switch self {
        case .objectAccessDenied: .objectAccessDenied
        case .objectValueInvalid: .objectValueInvalid
        case .temporarilyUnavailable: .temporarilyUnavailable
        case .typeInconsistent: .typeInconsistent
        case .objectAttributeInconsistent: .objectAttributeInconsistent
        case .hardwareFault: .hardwareFault
        }
    }
}

/// A handler that decides on writes to an attribute.
public typealias WriteAccessHandler = @Sendable (WriteAccess) -> WriteDecision
