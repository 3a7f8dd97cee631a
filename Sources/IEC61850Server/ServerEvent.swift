import IEC61850Model
import Synchronization

/// Something that happened to a server worth an audit trail: an association came or went (or was
/// refused), or a control command ended. See ``IedServer/setEventObserver(_:)``.
public enum ServerEvent: Sendable {
    /// An association was accepted.
    case associated(ClientConnection)
    /// An association was refused: wrong or missing password, or no valid MMS initiate.
    case refused(ClientConnection, reason: String)
    /// An association ended (released by the client or the connection closed).
    case disconnected(ClientConnection)
    /// A control command (select, operate or cancel) ended, accepted or refused.
    case command(CommandOutcome)
}

/// How one control command ended.
public struct CommandOutcome: Sendable {
    /// The controllable object (`GenericIO/GGIO1.SPCSO1`).
    public let object: String
    /// `Oper`, `SBOw` or `Cancel`.
    public let service: String
    /// ctlVal, or nil when the command could not be decoded.
    public let value: DataValue?
    public let originCategory: Int64
    public let originIdentifier: [UInt8]
    public let controlNumber: UInt8
    public let test: Bool
    public let connection: ClientConnection
    /// nil on success; the AddCause of a refusal or failure.
    public let cause: AddCause?

    public init(
        object: String, service: String, value: DataValue?, originCategory: Int64, originIdentifier: [UInt8], controlNumber: UInt8, test: Bool,
        connection: ClientConnection, cause: AddCause?
    ) {
        self.object = object
        self.service = service
        self.value = value
        self.originCategory = originCategory
        self.originIdentifier = originIdentifier
        self.controlNumber = controlNumber
        self.test = test
        self.connection = connection
        self.cause = cause
    }
}

/// Where a server's events go: the one observer the application installed, if any.
final class ServerEventObservers: Sendable {
    private let observer = Mutex<(@Sendable (ServerEvent) -> Void)?>(nil)

    func set(_ new: (@Sendable (ServerEvent) -> Void)?) { observer.withLock { $0 = new } }

    func notify(_ event: @autoclosure () -> ServerEvent) {
        guard let current = observer.withLock({ $0 }) else { return }
        current(event())
    }
}
