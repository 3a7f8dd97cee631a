import Foundation
import IEC61850Model
import IEC61850Services
import Logging
import Synchronization

/// Makes a gateway one node of a hot-standby pair: it follows the role keepalived asks for in the state
/// folder (``RedundancyFiles``), applies what ``RoleMachine`` says a role means (commands refused with
/// blocked-by-mode on the standby, serial lines left to the active node and taken after the hand-over
/// delay, the active node's associations ended when it stands down), and writes the node's status for
/// the health check every second. It looks at the role file every 100 ms, on a thread of its own.
public final class RedundancyController: Sendable {
    /// What the controller needs of the rest of the gateway.
    public struct Hooks: Sendable {
        /// Admits new associations (nil) or refuses them with this reason.
        public var admitAssociations: @Sendable (_ refusal: String?) -> Void
        /// Ends every open association.
        public var closeAssociations: @Sendable () -> Void
        /// The field adapters now (a reload replaces them).
        public var adapters: @Sendable () -> [any FieldAdapter]
        /// nil while the MMS server serves; else why it does not.
        public var serverProblem: @Sendable () -> String?
        /// Records an event in the event log.
        public var record: @Sendable (GatewayEvent) -> Void
        /// The role changed (the diagnostics LD, the metrics).
        public var roleChanged: @Sendable (GatewayRole) -> Void

        public init(
            admitAssociations: @escaping @Sendable (String?) -> Void, closeAssociations: @escaping @Sendable () -> Void,
            adapters: @escaping @Sendable () -> [any FieldAdapter], serverProblem: @escaping @Sendable () -> String?,
            record: @escaping @Sendable (GatewayEvent) -> Void, roleChanged: @escaping @Sendable (GatewayRole) -> Void
        ) {
            self.admitAssociations = admitAssociations
            self.closeAssociations = closeAssociations
            self.adapters = adapters
            self.serverProblem = serverProblem
            self.record = record
            self.roleChanged = roleChanged
        }
    }

    private struct State {
        var machine: RoleMachine
        /// The role file as last read (role and modification time).
        var seen: (role: GatewayRole, modified: Double)?
        /// The file asked for the active role before this process started: keepalived thinks this node is
        /// active, and it is not (it starts as the standby). Unhealthy until the file changes.
        var stale = false
        /// When the status was last written, and the peer last told (monotonic nanoseconds).
        var written: UInt64 = 0
        var told: UInt64 = 0
        /// Whether the active role is withheld now for want of the virtual address.
        var fenced = false
    }

    public let node: String
    public let files: RedundancyFiles
    private let services: IedServices
    private let hooks: Hooks
    private let logger: Logger
    private let state: Mutex<State>
    private let following = Atomic(false)
    /// Whether the role thread runs (``stop()`` waits until it has ended).
    private let threadRuns = Atomic(false)
    /// Held while a role change starts or holds adapters, and while the reloader swaps them.
    private let fieldLock = NSLock()
    private let settings: GatewayConfiguration.Redundancy
    /// The exchange with the peer, when `peer:` names it (opened by ``start()``).
    private let beacon = Mutex<PeerBeacon?>(nil)

    /// - Parameter minimumHandOverMilliseconds: the least hand-over delay the field needs: longer than a
    ///   serial request can take (its timeout), so the old active node's last request is over.
    public init(
        _ settings: GatewayConfiguration.Redundancy, services: IedServices, hooks: Hooks, logger: Logger, minimumHandOverMilliseconds: Int = 0
    ) {
        node = settings.node ?? ProcessInfo.processInfo.hostName
        self.settings = settings
        files = RedundancyFiles(settings)
        self.services = services
        self.hooks = hooks
        self.logger = logger
        let handOver = max(settings.handOverMilliseconds ?? 2000, minimumHandOverMilliseconds)
        if handOver > settings.handOverMilliseconds ?? 2000 {
            logger.notice("redundancy: hand-over \(handOver) ms, longer than the serial lines' timeout-ms")
        }
        let machine = RoleMachine(
            handOverNanoseconds: UInt64(handOver) * 1_000_000,
            standbyAcceptsAssociations: settings.standbyAcceptsAssociations ?? true)
        state = Mutex(State(machine: machine))
    }

    /// The role now.
    public var role: GatewayRole { state.withLock { $0.machine.role } }

    /// Whether the adapter runs in this role: a serial line only on the active node after the hand-over.
    public func drives(_ adapter: any FieldAdapter) -> Bool {
        adapter.readableByStandby || state.withLock { $0.machine.drivesSerialLines }
    }

    /// Creates the state folder, starts as the standby and begins following the role file. Throws when
    /// the folder cannot be written.
    public func start() throws {
        try files.prepare()
        if let peer = settings.peerAddress {
            let opened = try PeerBeacon(peerAddress: peer, port: settings.peerPort ?? PeerBeacon.defaultPort)
            beacon.withLock { $0 = opened }
        }
        let initial = state.withLock { state -> [RoleMachine.Action] in
            state.seen = files.requestedRole()
            state.stale = state.seen?.role == .active
            return state.machine.start()
        }
        perform(initial)
        record(.standby, detail: "started")
        if state.withLock({ $0.stale }) {
            logger.warning("keepalived asked this node to be active before the gateway started; standing by until it asks again")
        }
        try writeStatus()
        following.store(true, ordering: .relaxed)
        threadRuns.store(true, ordering: .releasing)
        // A thread of its own, as the pollers have: the health check must not wait behind other work.
        let thread = Thread { [weak self] in
            while true {
                guard let self else { return }
                guard self.following.load(ordering: .relaxed) else {
                    self.threadRuns.store(false, ordering: .releasing)
                    return
                }
                self.poll()
                usleep(100_000)
            }
        }
        thread.name = "redundancy"
        thread.start()
    }

    /// Stops following the role file; returns once no role change can start or hold an adapter any more.
    public func stop() {
        following.store(false, ordering: .relaxed)
        while threadRuns.load(ordering: .acquiring) { usleep(5_000) }
    }

    /// Runs body while no role change starts or holds adapters: the reloader swaps the field side in
    /// it, and `run` starts the adapters in it.
    public func whileFieldIsSteady<T>(_ body: () throws -> T) rethrows -> T {
        fieldLock.lock()
        defer { fieldLock.unlock() }
        return try body()
    }

    /// Reads the role file, moves the machine on and, every second, writes the status.
    private func poll() {
        let request = files.requestedRole()
        let now = DispatchTime.now().uptimeNanoseconds
        if let beacon = beacon.withLock({ $0 }) {
            beacon.receive(now: now)
            let tell = state.withLock { state in
                let due = now &- state.told >= 500_000_000
                if due { state.told = now }
                return due
            }
            if tell { beacon.send(node: node, field: fieldProblem() == nil) }
        }
        // The active role needs the virtual address on this machine, when the configuration names it:
        // a notify that arrived late, or out of order, must not make a node without it active.
        let holdsAddress = settings.virtualAddress.map(LocalAddresses.holds) ?? true
        let (actions, writeNow, newlyFenced) = state.withLock { state -> ([RoleMachine.Action], Bool, Bool) in
            if let request, state.seen.map({ $0.role != request.role || $0.modified != request.modified }) ?? true {
                state.seen = request
                state.stale = false
            }
            let asked = state.stale ? GatewayRole.standby : state.seen?.role ?? .standby
            let fenced = asked == .active && !holdsAddress
            var actions = state.machine.request(fenced ? .standby : asked, now: now)
            actions += state.machine.tick(now: now)
            let newlyFenced = fenced && !state.fenced
            state.fenced = fenced
            // Every second, and at once after a change.
            let due = now &- state.written >= 900_000_000 || !actions.isEmpty
            if due { state.written = now }
            return (actions, due, newlyFenced)
        }
        if newlyFenced {
            logger.warning("asked to be active, but this machine does not hold the virtual address \(settings.virtualAddress ?? ""); standing by")
        }
        perform(actions, asked: request != nil ? "keepalived (\(files.rolePath))" : nil)
        if writeNow {
            do { try writeStatus() } catch { logger.error("redundancy: \(error)") }
        }
    }

    private func perform(_ actions: [RoleMachine.Action], asked: String? = nil) {
        for action in actions {
            switch action {
            case .executeCommands(let execute):
                services.commandsRefused = execute ? nil : .blockedByMode
            case .admitAssociations(let admit):
                hooks.admitAssociations(admit ? nil : "this gateway is the standby of a redundant pair")
            case .closeAssociations:
                hooks.closeAssociations()
            case .driveSerialLines(let drive):
                fieldLock.lock()
                defer { fieldLock.unlock() }
                for adapter in hooks.adapters() where !adapter.readableByStandby {
                    if drive {
                        do {
                            try adapter.start()
                            logger.notice("hand-over over: driving \(adapter.name)")
                        } catch {
                            logger.error("\(adapter.name): \(error)")
                        }
                    } else {
                        adapter.hold()
                    }
                }
            case .roleChanged(let role):
                logger.notice("role: \(role.rawValue)", metadata: ["node": "\(node)"])
                record(role, detail: asked.map { "asked by \($0)" })
                hooks.roleChanged(role)
            }
        }
    }

    private func record(_ role: GatewayRole, detail: String?) {
        hooks.record(
            GatewayEvent(timeMilliseconds: currentMilliseconds(), kind: .role, reference: node, result: role.rawValue, detail: detail))
    }

    /// The node's health as keepalived's track script sees it: its server serves, it has the role asked
    /// for, and it reaches its field, or its peer does not either (as far as the node knows: without
    /// `peer:`, a node that reaches none of its field sources hands over regardless). When a node keeps
    /// serving without its field, `reason` says so while it is healthy.
    public func health() -> (healthy: Bool, reason: String?) {
        let (stale, requested, role) = state.withLock { ($0.stale, $0.seen?.role, $0.machine.role) }
        if stale { return (false, "keepalived asked for the active role before this gateway started; it stands by until asked again") }
        if let requested, requested != role {
            let address = settings.virtualAddress.map { " (the virtual address \($0) is not on this machine)" } ?? ""
            return (false, "asked to be \(requested.rawValue), still \(role.rawValue)\(address)")
        }
        if let problem = hooks.serverProblem() { return (false, problem) }
        guard let problem = fieldProblem() else { return (true, nil) }
        guard let beacon = beacon.withLock({ $0 }) else { return (false, problem) }
        guard let peer = beacon.heard(now: DispatchTime.now().uptimeNanoseconds) else {
            return (true, "\(problem); the peer is not heard, so this node stays")
        }
        if peer.field { return (false, "\(problem); the peer \(peer.node) reaches its field") }
        return (true, "\(problem); the peer \(peer.node) does not reach its field either, so this node stays")
    }

    /// Why this node does not reach its field, or nil when it does: none of the sources both nodes read
    /// (Modbus TCP, MQTT) answers. Those are reached over the network, so when none answers, this node
    /// has most likely lost its link to the field. Serial lines do not count: the standby does not read
    /// them, so it cannot say it would do better, and handing a dead RS-485 device back and forth would
    /// only drop the SCADA's associations each time.
    private func fieldProblem() -> String? {
        let links = hooks.adapters().filter(\.readableByStandby).flatMap(\.links)
        guard !links.isEmpty, !links.contains(where: \.up) else { return nil }
        return "no field source answers (\(links.map(\.source).joined(separator: ", ")))"
    }

    private func writeStatus() throws {
        let (healthy, reason) = health()
        let (role, requested) = state.withLock { ($0.machine.role, $0.seen?.role) }
        try files.write(
            NodeStatus(
                node: node, role: role, requested: requested, healthy: healthy, reason: reason, pid: getpid(), timeMilliseconds: currentMilliseconds()))
    }
}
