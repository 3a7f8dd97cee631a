/// What a node of a redundant pair does as its role changes, as a value: the role keepalived asks for
/// goes in (``request(_:now:)``), the passing of time (``tick(now:)``), and out come the actions that
/// make the node serve or stand by. The hand-over delay keeps a new active node off a serial line for a
/// while, so a peer that is still finishing a request on it is not answered over.
public struct RoleMachine: Sendable, Equatable {
    /// What the node does about a change.
    public enum Action: Sendable, Equatable {
        /// Commands are executed (active) or refused with blocked-by-mode (standby).
        case executeCommands(Bool)
        /// New associations are admitted, or refused (a standby configured to serve nobody).
        case admitAssociations(Bool)
        /// The open associations end: they were the SCADA's sessions with the active node.
        case closeAssociations
        /// The serial lines are driven (after the hand-over delay), or left to the peer.
        case driveSerialLines(Bool)
        /// The role changed: for the event log, the diagnostics LD and the metrics.
        case roleChanged(GatewayRole)
    }

    public private(set) var role: GatewayRole
    /// When a new active node starts on the serial lines (monotonic nanoseconds), while it waits.
    public private(set) var serialLinesDue: UInt64?
    public private(set) var drivesSerialLines: Bool
    public let handOverNanoseconds: UInt64
    public let standbyAcceptsAssociations: Bool

    /// A node starts as the standby: keepalived names the active one (`nopreempt`: a node that comes
    /// back does not take over from a working peer). Call ``start()`` for the initial actions.
    public init(handOverNanoseconds: UInt64, standbyAcceptsAssociations: Bool) {
        role = .standby
        drivesSerialLines = false
        self.handOverNanoseconds = handOverNanoseconds
        self.standbyAcceptsAssociations = standbyAcceptsAssociations
    }

    /// What a standby does from the start.
    public func start() -> [Action] {
        [.executeCommands(false), .admitAssociations(standbyAcceptsAssociations), .driveSerialLines(false)]
    }

    /// The role asked for; nothing when the node already has it.
    public mutating func request(_ requested: GatewayRole, now: UInt64) -> [Action] {
        guard requested != role else { return [] }
        role = requested
        switch requested {
        case .active:
            serialLinesDue = now &+ handOverNanoseconds
            var actions: [Action] = [.executeCommands(true), .admitAssociations(true), .roleChanged(.active)]
            actions += tick(now: now)
            return actions
        case .standby:
            serialLinesDue = nil
            var actions: [Action] = [.executeCommands(false), .closeAssociations, .admitAssociations(standbyAcceptsAssociations)]
            if drivesSerialLines { actions.append(.driveSerialLines(false)) }
            drivesSerialLines = false
            actions.append(.roleChanged(.standby))
            return actions
        }
    }

    /// Time passed: a new active node takes the serial lines once the hand-over delay is over.
    public mutating func tick(now: UInt64) -> [Action] {
        guard role == .active, let due = serialLinesDue, now >= due else { return [] }
        serialLinesDue = nil
        drivesSerialLines = true
        return [.driveSerialLines(true)]
    }
}
