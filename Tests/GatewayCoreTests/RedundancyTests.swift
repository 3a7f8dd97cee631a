import Foundation
import IEC61850Model
import IEC61850Server
import Logging
import Synchronization
import Testing

@testable import GatewayCore

/// A node of a hot-standby pair: the role machine as a value, and the controller that follows the role
/// file keepalived's notify script writes, on a real server's services and adapters of the test's own.
@Suite("Redundancy")
struct RedundancyTests {
    /// An adapter that counts its starts and holds; `shared` says whether a standby may read it.
    final class CountingAdapter: FieldAdapter {
        let name: String
        let readableByStandby: Bool
        let running = Mutex(false)
        let holds = Mutex(0)

        init(name: String, shared: Bool) {
            self.name = name
            readableByStandby = shared
        }

        func start() throws { running.withLock { $0 = true } }
        func stop() { running.withLock { $0 = false } }
        func hold() {
            stop()
            holds.withLock { $0 += 1 }
        }
        var links: [FieldLink] { [FieldLink(source: name, up: running.withLock { $0 })] }
        func carries(_ route: GatewayConfiguration.ControlRoute) -> Bool { false }
        func send(_ command: FieldCommand) async throws -> ControlResult? { nil }
    }

    @Test("the role machine: a standby executes nothing; a new active node takes the serial lines after the hand-over delay")
    func machine() {
        var machine = RoleMachine(handOverNanoseconds: 2_000, standbyAcceptsAssociations: false)
        #expect(machine.role == .standby)
        #expect(machine.start() == [.executeCommands(false), .admitAssociations(false), .driveSerialLines(false)])
        #expect(machine.request(.standby, now: 0).isEmpty)
        #expect(machine.request(.active, now: 1_000) == [.executeCommands(true), .admitAssociations(true), .roleChanged(.active)])
        #expect(machine.tick(now: 2_999).isEmpty)
        #expect(!machine.drivesSerialLines)
        #expect(machine.tick(now: 3_000) == [.driveSerialLines(true)])
        #expect(machine.tick(now: 4_000).isEmpty)
        #expect(
            machine.request(.standby, now: 5_000) == [
                .executeCommands(false), .closeAssociations, .admitAssociations(false), .driveSerialLines(false), .roleChanged(.standby),
            ])
        // Back to standby before the hand-over is over: the serial lines were never taken.
        _ = machine.request(.active, now: 6_000)
        #expect(machine.request(.standby, now: 6_500).contains(.driveSerialLines(false)) == false)
        #expect(machine.tick(now: 9_000).isEmpty)
    }

    @Test("the redundancy section is read, also alone from a large file, and a reload with a changed one needs a restart")
    func section() throws {
        let text = """
            model:
              ied: GW
            # the pair
            redundancy:
              node: gw-a
              state: state
              hand-over-ms: 500
              standby-associations: false
              peer: 10.0.0.12:9000
            points: []
            """
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("redundancy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("gw.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let whole = try #require(try ConfigurationReader.load(file: path).redundancy)
        #expect(whole.node == "gw-a")
        #expect(whole.stateDirectory == folder.appendingPathComponent("state").path)
        #expect(whole.handOverMilliseconds == 500)
        #expect(whole.standbyAcceptsAssociations == false)
        #expect(whole.peerAddress == "10.0.0.12" && whole.peerPort == 9000)
        #expect(try ConfigurationReader.redundancySection(file: path) == whole)
        // A mistake in the section alone names the file's own line.
        try text.replacingOccurrences(of: "hand-over-ms: 500", with: "hand-over-ms: soon").write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: ConfigurationErrors.self) { try ConfigurationReader.redundancySection(file: path) }
        #expect(error?.description.hasPrefix("\(path):7: redundancy.hand-over-ms") == true)
        let badPeer = #expect(throws: ConfigurationErrors.self) {
            try ConfigurationReader.parse(text.replacingOccurrences(of: "10.0.0.12:9000", with: "gw-b"), file: path)
        }
        #expect(badPeer?.description == "\(path):9: redundancy.peer must be the other node's IPv4 address, with :PORT if not 8103, not 'gw-b'")
        var other = try ConfigurationReader.parse(text, file: path)
        other.redundancy?.handOverMilliseconds = 100
        #expect(try ConfigurationReader.parse(text, file: path).restartOnlyChanges(in: other) == ["redundancy"])
    }

    /// What the controller asked of the rest of the gateway.
    final class Observed: Sendable {
        let events = Mutex<[GatewayEvent]>([])
        let closed = Mutex(0)
        let refusal = Mutex<String?>(nil)
    }

    /// A controller on a real server's services, in a state folder of its own.
    func controller(
        _ folder: URL, adapters: [CountingAdapter], observed: Observed, virtualAddress: String? = nil
    ) throws -> (RedundancyController, IedServer) {
        let model = try SCLLoader().load(file: ConfigurationTests.root.appendingPathComponent("mappings/demo/demo.icd").path)
        let server = IedServer(model: model)
        var settings = GatewayConfiguration.Redundancy()
        settings.node = "gw-test"
        settings.stateDirectory = folder.path
        settings.handOverMilliseconds = 2000
        settings.standbyAcceptsAssociations = false
        settings.virtualAddress = virtualAddress
        let hooks = RedundancyController.Hooks(
            admitAssociations: { reason in observed.refusal.withLock { $0 = reason } }, closeAssociations: { observed.closed.withLock { $0 += 1 } },
            adapters: { adapters }, serverProblem: { nil }, record: { event in observed.events.withLock { $0.append(event) } }, roleChanged: { _ in })
        return (RedundancyController(settings, services: server.services, hooks: hooks, logger: Logger(label: "test")), server)
    }

    func eventually(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    @Test("a node follows the role file: standby holds commands and serial lines; active serves, and takes the lines after the hand-over")
    func follows() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("redundancy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let serial = CountingAdapter(name: "modbus /dev/ttyS0", shared: false), tcp = CountingAdapter(name: "modbus 10.0.0.5:502", shared: true)
        let observed = Observed()
        let (node, server) = try controller(folder, adapters: [serial, tcp], observed: observed)
        try node.start()
        defer { node.stop() }
        try tcp.start()  // as `run` starts what the node drives
        #expect(node.role == .standby)
        #expect(server.commandsRefused == .blockedByMode)
        #expect(observed.refusal.withLock { $0 } != nil)
        #expect(serial.holds.withLock { $0 } == 1 && !serial.running.withLock { $0 })
        #expect(!node.drives(serial) && node.drives(tcp))
        #expect(node.files.status()?.role == .standby)

        let asked = ContinuousClock.now
        try node.files.request(.active)
        try await eventually { node.role == .active }
        #expect(node.role == .active)
        #expect(server.commandsRefused == nil)
        #expect(observed.refusal.withLock { $0 } == nil)
        // The hand-over delay first (unless a loaded machine took that long to get here).
        let running = serial.running.withLock { $0 }
        if ContinuousClock.now - asked < .milliseconds(1500) { #expect(!running) }
        try await eventually { serial.running.withLock { $0 } }
        #expect(serial.running.withLock { $0 })
        try await eventually { node.files.status()?.role == .active }
        let status = try #require(node.files.status())
        #expect(status.node == "gw-test" && status.healthy && status.requested == .active && status.pid == getpid())

        try node.files.request(.standby)
        try await eventually { node.role == .standby }
        #expect(server.commandsRefused == .blockedByMode)
        #expect(observed.closed.withLock { $0 } == 1)
        #expect(serial.holds.withLock { $0 } == 2 && !serial.running.withLock { $0 })
        #expect(tcp.running.withLock { $0 })  // the standby keeps reading what takes several masters
        let roles = observed.events.withLock { $0 }.filter { $0.kind == .role }
        #expect(roles.map(\.result) == ["standby", "active", "standby"])
        #expect(roles.allSatisfy { $0.reference == "gw-test" })
    }

    @Test("a node that finds the active role asked for before it started stands by and is unhealthy until asked again; then it follows")
    func staleRequest() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("redundancy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try RedundancyFiles(directory: folder.path).prepare()
        try RedundancyFiles(directory: folder.path).request(.active)
        let tcp = CountingAdapter(name: "mqtt broker:1883", shared: true)
        try tcp.start()
        let (node, server) = try controller(folder, adapters: [tcp], observed: Observed())
        try node.start()
        defer { node.stop() }
        try await Task.sleep(for: .milliseconds(300))
        #expect(node.role == .standby)
        #expect(server.commandsRefused == .blockedByMode)
        #expect(node.health().healthy == false)
        #expect(node.files.status()?.reason?.contains("before this gateway started") == true)
        try node.files.request(.standby)  // keepalived's FAULT (or BACKUP) after the failed check
        try await eventually { node.health().healthy }
        #expect(node.health().healthy)
        try node.files.request(.active)  // asked again, after its start: now it is the active node
        try await eventually { node.role == .active }
        #expect(node.role == .active && server.commandsRefused == nil)
        tcp.stop()  // no field source answers: the check fails, so keepalived hands over
        #expect(node.health().reason?.contains("no field source answers") == true)
    }

    @Test("with a virtual address, a node takes the active role only while it holds the address")
    func fenced() async throws {
        for (address, held) in [("192.0.2.77", false), ("127.0.0.1", true)] {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("redundancy-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let (node, server) = try controller(folder, adapters: [], observed: Observed(), virtualAddress: address)
            try node.start()
            defer { node.stop() }
            try node.files.request(.active)
            try await eventually { node.role == .active || node.files.status()?.requested == .active }
            try await Task.sleep(for: .milliseconds(300))
            #expect(node.role == (held ? .active : .standby), "\(address)")
            #expect(server.commandsRefused == (held ? nil : .blockedByMode))
            if !held { #expect(node.health().reason?.contains("virtual address 192.0.2.77 is not on this machine") == true) }
        }
    }

    @Test("the peer exchange: what a node sends is heard, anything else is ignored, and old news expires")
    func beacon() throws {
        // One beacon whose peer is this machine hears itself: the same socket sends and receives.
        let port = 20_000 + Int(getpid() % 20_000)
        let beacon = try PeerBeacon(peerAddress: "127.0.0.1", port: port)
        #expect(beacon.heard(now: 0) == nil)
        // Garbage and a wrong prefix from the same address are ignored.
        let other = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(other) }
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_port = in_port_t(UInt16(port).bigEndian)
        to.sin_addr.s_addr = inet_addr("127.0.0.1")
        for junk in ["hello", "iec61850-gateway gw-x field=2", "iec61850-gateway", "\u{0}\u{1}"] {
            let bytes = Array(junk.utf8)
            _ = withUnsafePointer(to: &to) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(other, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        usleep(50_000)
        beacon.receive(now: 1_000)
        #expect(beacon.heard(now: 1_000) == nil)
        beacon.send(node: "gw-b", field: false)
        usleep(50_000)
        beacon.receive(now: 2_000)
        #expect(beacon.heard(now: 2_000) == PeerBeacon.Heard(node: "gw-b", field: false, atNanoseconds: 2_000))
        beacon.send(node: "gw-b", field: true)
        usleep(50_000)
        beacon.receive(now: 3_000)
        #expect(beacon.heard(now: 3_000)?.field == true)
        #expect(beacon.heard(now: 3_000 + 3_000_000_001) == nil)  // more than 3 s old: not heard
        #expect(throws: RedundancyError.self) { try PeerBeacon(peerAddress: "gw-b", port: port + 1) }
    }
}
