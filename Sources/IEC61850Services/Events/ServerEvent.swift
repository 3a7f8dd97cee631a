import IEC61850Model
import Synchronization

/// Something that happened to a server worth an audit trail: an association came or went (or was
/// refused), or a control command ended. See ``IedServer/setEventObserver(_:)``.
public enum ServerEvent: Sendable {
    /// An association was accepted.
    case associated(ClientConnection)
    /// A connection or association was refused: a limit reached, no association in time, no valid MMS
    /// initiate. Repeated refusals of one kind are summarised (at most one event per kind every 10 s).
    case refused(ClientConnection, reason: String)
    /// A client failed to authenticate (a wrong or missing password), or was refused because its address
    /// is locked out after too many failures: a security event. `reason` says which in words.
    case authenticationFailed(ClientConnection, reason: String)
    /// A TLS handshake failed: the client's certificate was refused (expired, untrusted, revoked, not on
    /// the allow-list, missing) or the client and server had nothing in common (TLS version, cipher suite),
    /// or the peer does not speak TLS. A security event; `reason` says why in words, `subject` is the
    /// certificate's subject when the client presented one. Repeated failures of one kind are summarised.
    case tlsHandshakeFailed(ClientConnection, reason: String, subject: String?)
    /// An association's access policy refused a request (an operate, a setting write, a data set
    /// creation…): a security event. Nothing changed. `reason` says who may not do what, and to what;
    /// repeats of one kind are summarised.
    case accessDenied(ClientConnection, reason: String)
    /// An association ended (released by the client or the connection closed).
    case disconnected(ClientConnection)
    /// A control command (select, operate or cancel) ended, accepted or refused.
    case command(CommandOutcome)
    /// A data object's substitution began (or got a new substitute) or ended: by a client writing its
    /// SV attributes (`connection`), or through the API (`by` says who).
    case substitution(SubstitutionChange, connection: ClientConnection?, by: String?)
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
package final class ServerEventObservers: Sendable {
    /// The observer in a struct: a bare closure kept in a `Mutex` and read back with `withLock { $0 }` gets
    /// two more reabstraction thunks around it on every read (the generic inout access writes it back
    /// wrapped), so each event made every later one a little deeper, until an event loop's stack
    /// overflowed after some 10,000 associations (found by the soak benchmark).
    private struct Observer: Sendable {
        let notify: @Sendable (ServerEvent) -> Void
    }

    private let observer = Mutex<Observer?>(nil)

    package func set(_ new: (@Sendable (ServerEvent) -> Void)?) { observer.withLock { $0 = new.map(Observer.init) } }

    package func notify(_ event: @autoclosure () -> ServerEvent) {
        guard let current = observer.withLock({ $0 }) else { return }
        current.notify(event())
    }

    package init() {}
}

/// Summarises repeated refusals of one kind: at most one event per kind every `window`, which says how
/// many were left out before it. A flood of connections over a limit cannot flood the audit trail.
package struct RefusalSummary: Sendable {
    private struct Kind: Sendable {
        var lastNotified: UInt64
        var leftOut: Int
    }
    private var kinds: [String: Kind] = [:]
    package let window: UInt64

    package init(windowNanoseconds: UInt64 = 10_000_000_000) {
        window = windowNanoseconds
    }

    /// The reason to record now, or nil when this refusal is left out of the trail.
    package mutating func admit(_ reason: String, now: UInt64) -> String? {
        if var kind = kinds[reason], now >= kind.lastNotified, now - kind.lastNotified < window {
            kind.leftOut += 1
            kinds[reason] = kind
            return nil
        }
        let leftOut = kinds[reason]?.leftOut ?? 0
        kinds[reason] = Kind(lastNotified: now, leftOut: 0)
        return leftOut > 0 ? "\(reason) (and \(leftOut) more like it since the last event)" : reason
    }
}
