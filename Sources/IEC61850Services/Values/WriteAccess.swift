import IEC61850Model

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

    public init(attribute: AttributeHandle, currentValue: DataValue, newValue: DataValue, connection: ClientConnection) {
        self.attribute = attribute
        self.currentValue = currentValue
        self.newValue = newValue
        self.connection = connection
    }
}

/// A write access handler's answer.
public enum WriteDecision: Sendable, Equatable {
    case accept
    /// Refuse the write with this reason (object-access-denied, object-value-invalid, temporarily-unavailable…).
    case deny(WriteRefusal)
}

/// Why a write is refused, as the client sees it (over MMS, the DataAccessError of the same name).
public enum WriteRefusal: Sendable, Equatable {
    case objectAccessDenied
    case objectValueInvalid
    case temporarilyUnavailable
    case typeInconsistent
    case objectAttributeInconsistent
    case hardwareFault
}

/// A handler that decides on writes to an attribute.
public typealias WriteAccessHandler = @Sendable (WriteAccess) -> WriteDecision
