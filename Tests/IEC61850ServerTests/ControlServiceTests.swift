import BERCodec
import Foundation
import IEC61850Model
import ISOTransport
import MMS
import NIOCore
import NIOPosix
import Synchronization
import TestSupport
import Testing

@testable import IEC61850Server
@testable import MMSMapping

/// The control model over MMS on loopback: the bytes a client sees for each model, refusal and handler outcome.
@Suite("Control model over MMS, on loopback", .timeLimit(.minutes(1)))
struct ControlServiceTests {
    static let domain = "DEMOGenericIO"

    /// A server for `model` (the demo model by default), started on loopback, and an associated raw client.
    static func connect(
        model: IedModel? = nil, _ prepare: (IedServer) throws -> Void = { _ in }, configure: (inout IedServerConfiguration) -> Void = { _ in }
    ) async throws -> (IedServer, RawClient) {
        var configuration = IedServerConfiguration()
        configuration.bindAddress = "127.0.0.1"
        configuration.port = 0
        configure(&configuration)
        let server = IedServer(model: try model ?? SCLLoader().load(file: Fixtures.demoSCL), configuration: configuration)
        try prepare(server)
        try await server.start()
        return (server, try await RawClient.associated(port: try #require(server.localPort)))
    }

    /// IED T, LD0 with LLN0 and one more logical node.
    static func model(_ node: LogicalNodeSpec) -> IedModel {
        var builder = IedModelBuilder(iedName: "T")
        builder.addLogicalDevice(LogicalDeviceSpec(inst: "LD0", logicalNodes: [LogicalNodeSpec(lnClass: "LLN0", dataObjects: [CDC.ens("Mod")]), node]))
        return builder.build()
    }

    /// The MMS PDUs the client received after `offset` octets, in order; a PDU sent in several DT
    /// TPDUs (a large ReadJournal response) is reassembled.
    static func pdus(_ bytes: [UInt8], after offset: Int) throws -> [ByteBuffer] {
        var pending = ByteBuffer(bytes: bytes[offset...])
        var pdus: [ByteBuffer] = []
        var segments = ByteBuffer()
        while let frame = try TPKTFrameDecoder.readFrame(from: &pending) {
            guard case .data(let endOfTSDU, var tsdu) = try COTPPDU.parse(frame) else { throw TestFailure("not a DT") }
            segments.writeBuffer(&tsdu)
            guard endOfTSDU else { continue }
            pdus.append(try InMemoryAssociation.mmsPDU(tsdu: segments))
            segments.clear()
        }
        return pdus
    }

    /// Sends a request and waits until `count` PDUs have come back; returns them.
    static func exchange(_ client: RawClient, _ frame: ByteBuffer, expecting count: Int) async throws -> [ByteBuffer] {
        let offset = client.received.value.count
        try await client.send(frame)
        let bytes = try await client.wait { (try? pdus($0, after: offset).count) ?? 0 >= count }
        return try pdus(bytes, after: offset)
    }

    /// An Oper / SBOw structure for a BOOLEAN ctlVal (the demo's SPC), or a Cancel (no Check).
    static func command(_ value: Bool, ctlNum: UInt64 = 1, test: Bool = false, cancel: Bool = false) -> MMSData {
        var components: [MMSData] = [
            .boolean(value), .structure([.integer(3), .octetString(Array("scada".utf8))]), .unsigned(ctlNum), .utcTime([UInt8](repeating: 0, count: 8)),
            .boolean(test),
        ]
        if !cancel { components.append(.bitString(MMSBitString(bytes: [0x00], bitCount: 2))) }
        return .structure(components)
    }

    static func write(_ invokeID: Int64, _ object: String, _ service: String, _ value: MMSData) -> ByteBuffer {
        ClientFrames.write(invokeID, domain: domain, item: "\(object)$\(service)", value: value)
    }

    /// The AddCause of a LastApplError report (the last component of its structure), or nil.
    static func addCause(_ pdu: ByteBuffer) throws -> Int64? {
        guard pdu.hexDump.contains(hex(Array("LastApplError".utf8))) else { return nil }
        var reader = BERReader(pdu)
        var unconfirmed = try reader.readElement(.contextConstructed(3)).children
        var report = try unconfirmed.readElement(.contextConstructed(0)).children
        _ = try report.readElement(.contextConstructed(0))
        var results = try report.readElement(.contextConstructed(0)).children
        var structure = try results.readElement(.contextConstructed(2)).children
        let fields = try structure.readAll()
        return try fields.last?.integerValue()
    }

    static let success = "A1 07 02 01 01 A5 02 81 00"

    @Test("direct, normal security: the write is answered after the handler (which waits); the status follows; the handler sees the command")
    func directNormal() async throws {
        let seen = Mutex<ControlAction?>(nil)
        let (server, client) = try await Self.connect { server in
            server.statusFollowsControl = true
            try server.setControlHandler(for: "GenericIO/GGIO1.SPCSO1") { action in
                seen.withLock { $0 = action }
                return .waiting {
                    try? await Task.sleep(for: .milliseconds(50))
                    return .success
                }
            }
        }
        defer { Task { await server.stop() } }
        let answers = try await Self.exchange(client, Self.write(1, "GGIO1$CO$SPCSO1", "Oper", Self.command(true, ctlNum: 9)), expecting: 1)
        #expect(answers.map(\.hexDump) == [Self.success])
        let action = try #require(seen.withLock { $0 })
        #expect(action.value == .boolean(true) && action.controlNumber == 9 && action.originCategory == 3 && action.model == .directWithNormalSecurity)
        #expect(action.originIdentifier == Array("scada".utf8))
        // The status follows right after the response (so that no report on it overtakes the response).
        let stVal = try server.handle(for: "GenericIO/GGIO1.SPCSO1.stVal")
        for _ in 0..<100 where server.value(of: stVal) != .boolean(true) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(server.value(of: stVal) == .boolean(true))
        #expect(server.value(of: try server.handle(for: "GenericIO/GGIO1.SPCSO1.ctlNum")) == .unsigned(9))
    }

    @Test("SBO, normal security: an operate without select gets LastApplError (object-not-selected) then access-denied; SBO read selects")
    func sboNormal() async throws {
        let (server, client) = try await Self.connect { $0.simulateControls(delay: .milliseconds(1)) }
        defer { Task { await server.stop() } }
        let refused = try await Self.exchange(client, Self.write(1, "GGIO1$CO$SPCSO2", "Oper", Self.command(true)), expecting: 2)
        #expect(try Self.addCause(refused[0]) == 18)
        #expect(refused[1].hexDump == "A1 08 02 01 01 A5 03 80 01 03")
        let select = try await Self.exchange(client, ClientFrames.read(2, domain: Self.domain, item: "GGIO1$CO$SPCSO2$SBO"), expecting: 1)
        #expect(select[0].hexDump.hasSuffix(hex(Array("DEMOGenericIO/GGIO1$CO$SPCSO2".utf8))))
        let other = try await RawClient.associated(port: try #require(server.localPort))
        let locked = try await Self.exchange(other, ClientFrames.read(1, domain: Self.domain, item: "GGIO1$CO$SPCSO2$SBO"), expecting: 1)
        #expect(locked[0].hexDump.hasSuffix("8A 00"))  // selected by another client: an empty string
        let operated = try await Self.exchange(client, Self.write(3, "GGIO1$CO$SPCSO2", "Oper", Self.command(true)), expecting: 1)
        #expect(operated[0].hexDump == "A1 07 02 01 03 A5 02 81 00")
    }

    @Test("enhanced security: positive response, then CommandTermination; a failing handler gives a negative one with its AddCause")
    func enhanced() async throws {
        let (server, client) = try await Self.connect { server in
            server.simulateControls(delay: .milliseconds(1))
            try server.setControlHandler(for: "GenericIO/GGIO1.SPCSO4", IedServer.simulated(delay: .milliseconds(1), failing: .blockedByInterlocking))
        }
        defer { Task { await server.stop() } }
        let direct = try await Self.exchange(client, Self.write(1, "GGIO1$CO$SPCSO3", "Oper", Self.command(true)), expecting: 2)
        #expect(direct[0].hexDump == Self.success)
        #expect(direct[1].hexDump.hasPrefix("A3"))
        #expect(try Self.addCause(direct[1]) == nil)
        #expect(direct[1].hexDump.contains(hex(Array("GGIO1$CO$SPCSO3$Oper".utf8))))
        let selected = try await Self.exchange(client, Self.write(2, "GGIO1$CO$SPCSO4", "SBOw", Self.command(true, ctlNum: 4)), expecting: 1)
        #expect(selected[0].hexDump == "A1 07 02 01 02 A5 02 81 00")
        let mismatch = try await Self.exchange(client, Self.write(3, "GGIO1$CO$SPCSO4", "Oper", Self.command(true, ctlNum: 5)), expecting: 2)
        #expect(try Self.addCause(mismatch[0]) == 26)  // inconsistent-parameters: the ctlNum differs from the SBOw
        _ = try await Self.exchange(client, Self.write(4, "GGIO1$CO$SPCSO4", "SBOw", Self.command(true, ctlNum: 6)), expecting: 1)
        let failed = try await Self.exchange(client, Self.write(5, "GGIO1$CO$SPCSO4", "Oper", Self.command(true, ctlNum: 6)), expecting: 2)
        #expect(failed[0].hexDump == "A1 07 02 01 05 A5 02 81 00")
        #expect(try Self.addCause(failed[1]) == 10)  // CommandTermination negative: LastApplError + Oper
        #expect(failed[1].hexDump.contains(hex(Array("GGIO1$CO$SPCSO4$Oper".utf8))))
    }

    @Test("refusals before execution: a check handler, the LN's behaviour, and no handler at all")
    func blocked() async throws {
        let (server, client) = try await Self.connect { server in
            try server.setControlHandlers(
                for: "GenericIO/GGIO1.SPCSO1", ControlHandlers(check: { _ in .refuse(.blockedByInterlocking) }, control: { _ in .success }))
        }
        defer { Task { await server.stop() } }
        let interlocked = try await Self.exchange(client, Self.write(1, "GGIO1$CO$SPCSO1", "Oper", Self.command(true)), expecting: 2)
        #expect(try Self.addCause(interlocked[0]) == 10)
        let unhandled = try await Self.exchange(client, Self.write(2, "GGIO3$CO$Pos1", "Oper", Self.command(true)), expecting: 2)
        #expect(try Self.addCause(unhandled[0]) == 1)  // not-supported: nothing executes this object
        try server.setControlHandler(for: "GenericIO/GGIO3.Pos1") { _ in .success }
        try server.update("GenericIO/GGIO3.Beh.stVal", to: .integer(5))  // off
        let off = try await Self.exchange(client, Self.write(3, "GGIO3$CO$Pos1", "Oper", Self.command(true)), expecting: 2)
        #expect(try Self.addCause(off[0]) == 8)
        try server.update("GenericIO/GGIO3.Beh.stVal", to: .integer(1))
        let on = try await Self.exchange(client, Self.write(4, "GGIO3$CO$Pos1", "Oper", Self.command(true)), expecting: 1)
        #expect(on[0].hexDump == "A1 07 02 01 04 A5 02 81 00")
        let malformed = try await Self.exchange(client, Self.write(5, "GGIO3$CO$Pos1", "Oper", .structure([.boolean(true)])), expecting: 2)
        #expect(try Self.addCause(malformed[0]) == 26)
    }

    @Test("a server that holds its commands (a standby) refuses every object with its AddCause, and no handler runs")
    func heldCommands() async throws {
        let executed = Mutex(0)
        let (server, client) = try await Self.connect { server in
            try server.setControlHandler(for: "GenericIO/GGIO1.SPCSO1") { _ in
                executed.withLock { $0 += 1 }
                return .success
            }
        }
        defer { Task { await server.stop() } }
        server.commandsRefused = .blockedByMode
        #expect(server.commandsRefused == .blockedByMode)
        let held = try await Self.exchange(client, Self.write(1, "GGIO1$CO$SPCSO1", "Oper", Self.command(true)), expecting: 2)
        #expect(try Self.addCause(held[0]) == 8)
        let unhandled = try await Self.exchange(client, Self.write(2, "GGIO3$CO$Pos1", "Oper", Self.command(true)), expecting: 2)
        #expect(try Self.addCause(unhandled[0]) == 8)  // before not-supported: the node executes nothing
        #expect(executed.withLock { $0 } == 0)
        server.commandsRefused = nil
        let served = try await Self.exchange(client, Self.write(3, "GGIO1$CO$SPCSO1", "Oper", Self.command(true)), expecting: 1)
        #expect(served[0].hexDump == "A1 07 02 01 03 A5 02 81 00")
        #expect(executed.withLock { $0 } == 1)
    }

    @Test("a handler that outlasts the control timeout: negative CommandTermination with time-limit-over")
    func timeout() async throws {
        let (server, client) = try await Self.connect(
            { server in try server.setControlHandler(for: "GenericIO/GGIO1.SPCSO3", IedServer.simulated(delay: .seconds(3))) },
            configure: { $0.controlTimeout = .milliseconds(100) })
        defer { Task { await server.stop() } }
        let start = ContinuousClock.now
        let answers = try await Self.exchange(client, Self.write(1, "GGIO1$CO$SPCSO3", "Oper", Self.command(true)), expecting: 2)
        #expect(answers[0].hexDump == Self.success)
        #expect(try Self.addCause(answers[1]) == 16)
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test("past the control timeout the handler's task is cancelled: what it has not done yet must not happen")
    func timeoutCancelsHandler() async throws {
        let sawCancellation = Mutex<Bool?>(nil)
        let (server, client) = try await Self.connect(
            { server in
                try server.setControlHandler(for: "GenericIO/GGIO1.SPCSO3") { _ in
                    .waiting {
                        try? await Task.sleep(for: .seconds(3))
                        sawCancellation.withLock { $0 = Task.isCancelled }
                        return .success
                    }
                }
            },
            configure: { $0.controlTimeout = .milliseconds(100) })
        defer { Task { await server.stop() } }
        let answers = try await Self.exchange(client, Self.write(1, "GGIO1$CO$SPCSO3", "Oper", Self.command(true)), expecting: 2)
        #expect(try Self.addCause(answers[1]) == 16)
        for _ in 0..<100 where sawCancellation.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sawCancellation.withLock { $0 } == true)
    }

    @Test("time-activated operate: answered at once, executed at operTm with a CommandTermination; a Cancel before aborts it")
    func timeActivated() async throws {
        let node = LogicalNodeSpec(
            lnClass: "GGIO", inst: "1",
            dataObjects: [
                CDC.spc("SPCSO1", ctlModel: .directWithNormalSecurity, timeActivated: true),
                CDC.spc("SPCSO2", ctlModel: .directWithNormalSecurity, timeActivated: true),
            ])
        let (server, client) = try await Self.connect(model: Self.model(node)) { $0.simulateControls(delay: .milliseconds(1)) }
        defer { Task { await server.stop() } }

        func command(at time: Timestamp, cancel: Bool = false) -> MMSData { Self.timedCommand(at: time, cancel: cancel) }
        let later = Timestamp(millisecondsSinceEpoch: Timestamp.now().millisecondsSinceEpoch + 300)
        let status = try server.handle(for: "LD0/GGIO1.SPCSO1.stVal")
        let accepted = try await Self.exchange(
            client, ClientFrames.write(1, domain: "TLD0", item: "GGIO1$CO$SPCSO1$Oper", value: command(at: later)), expecting: 1)
        #expect(accepted[0].hexDump == Self.success)
        #expect(server.value(of: status) == .boolean(false))  // not before operTm
        let offset = client.received.value.count
        let termination = try await client.wait { (try? Self.pdus($0, after: offset).count) ?? 0 >= 1 }
        #expect(try Self.pdus(termination, after: offset)[0].hexDump.hasPrefix("A3"))
        #expect(server.value(of: status) == .boolean(true))

        let aborted = Timestamp(millisecondsSinceEpoch: Timestamp.now().millisecondsSinceEpoch + 300)
        _ = try await Self.exchange(client, ClientFrames.write(2, domain: "TLD0", item: "GGIO1$CO$SPCSO2$Oper", value: command(at: aborted)), expecting: 1)
        let cancelled = try await Self.exchange(
            client, ClientFrames.write(3, domain: "TLD0", item: "GGIO1$CO$SPCSO2$Cancel", value: command(at: aborted, cancel: true)), expecting: 1)
        #expect(cancelled[0].hexDump == "A1 07 02 01 03 A5 02 81 00")
        try await Task.sleep(for: .milliseconds(500))
        #expect(server.value(of: try server.handle(for: "LD0/GGIO1.SPCSO2.stVal")) == .boolean(false))
    }

    /// An Oper (or Cancel) of a time-activated SPC with operTm `time`.
    static func timedCommand(at time: Timestamp, cancel: Bool = false) -> MMSData {
        var octets: [UInt8] = []
        withUnsafeBytes(of: time.secondsSinceEpoch.bigEndian) { octets += $0 }
        octets += [
            UInt8(truncatingIfNeeded: time.fraction >> 16), UInt8(truncatingIfNeeded: time.fraction >> 8), UInt8(truncatingIfNeeded: time.fraction), 0,
        ]
        var components: [MMSData] = [
            .boolean(true), .utcTime(octets), .structure([.integer(3), .octetString([])]), .unsigned(1), .utcTime([UInt8](repeating: 0, count: 8)),
            .boolean(false),
        ]
        if !cancel { components.append(.bitString(MMSBitString(bytes: [0x00], bitCount: 2))) }
        return .structure(components)
    }

    @Test("time-activated operate: an operTm past the horizon is refused; a waiting one is aborted when its association ends")
    func timeActivatedBounds() async throws {
        let node = LogicalNodeSpec(
            lnClass: "GGIO", inst: "1", dataObjects: [CDC.spc("SPCSO1", ctlModel: .directWithNormalSecurity, timeActivated: true)])
        let outcomes = Mutex<[CommandOutcome]>([])
        let (server, client) = try await Self.connect(
            model: Self.model(node),
            {
                $0.simulateControls(delay: .milliseconds(1))
                $0.setEventObserver { event in if case .command(let outcome) = event { outcomes.withLock { $0.append(outcome) } } }
            }, configure: { $0.maximumOperateDelay = .seconds(60) })
        defer { Task { await server.stop() } }
        let status = try server.handle(for: "LD0/GGIO1.SPCSO1.stVal")
        let farAhead = Timestamp(millisecondsSinceEpoch: Timestamp.now().millisecondsSinceEpoch + 3_600_000)
        let refused = try await Self.exchange(
            client, ClientFrames.write(1, domain: "TLD0", item: "GGIO1$CO$SPCSO1$Oper", value: Self.timedCommand(at: farAhead)), expecting: 2)
        #expect(try Self.addCause(refused[0]) == AddCause.inconsistentParameters.rawValue)
        #expect(refused[1].hexDump != Self.success)

        let soon = Timestamp(millisecondsSinceEpoch: Timestamp.now().millisecondsSinceEpoch + 300)
        let accepted = try await Self.exchange(
            client, ClientFrames.write(2, domain: "TLD0", item: "GGIO1$CO$SPCSO1$Oper", value: Self.timedCommand(at: soon)), expecting: 1)
        #expect(accepted[0].hexDump == "A1 07 02 01 02 A5 02 81 00")  // success
        try await client.channel.close()
        for _ in 0..<100 where outcomes.withLock({ $0.last?.cause }) != .abortionByCommunicationLoss { try await Task.sleep(for: .milliseconds(10)) }
        #expect(outcomes.withLock { $0.last?.cause } == .abortionByCommunicationLoss)

        // Another client's operate of the same object, due later: the aborted one's wake-up must not start it early.
        let other = try await RawClient.associated(port: try #require(server.localPort))
        // 1.5 s after the aborted one: room for a loaded machine to look in between.
        let later = Timestamp(millisecondsSinceEpoch: soon.millisecondsSinceEpoch + 1_500)
        let queued = try await Self.exchange(
            other, ClientFrames.write(3, domain: "TLD0", item: "GGIO1$CO$SPCSO1$Oper", value: Self.timedCommand(at: later)), expecting: 1)
        #expect(queued[0].hexDump == "A1 07 02 01 03 A5 02 81 00")  // success
        while Timestamp.now().millisecondsSinceEpoch < soon.millisecondsSinceEpoch + 200 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(server.value(of: status) == .boolean(false))  // past the aborted one's time: nothing ran
        let offset = other.received.value.count
        let termination = try await other.wait { (try? Self.pdus($0, after: offset).count) ?? 0 >= 1 }
        #expect(try Self.pdus(termination, after: offset)[0].hexDump.hasPrefix("A3"))  // B's own CommandTermination
        #expect(server.value(of: status) == .boolean(true))
        #expect(Timestamp.now().millisecondsSinceEpoch >= later.millisecondsSinceEpoch)
    }

    @Test("a handler that answers at once: the response (or, enhanced, the response and then CommandTermination) in order")
    func immediate() async throws {
        let (server, client) = try await Self.connect { $0.simulateControls(delay: .zero) }
        defer { Task { await server.stop() } }
        let direct = try await Self.exchange(client, Self.write(1, "GGIO1$CO$SPCSO1", "Oper", Self.command(true)), expecting: 1)
        #expect(direct.map(\.hexDump) == [Self.success])
        let enhanced = try await Self.exchange(client, Self.write(2, "GGIO1$CO$SPCSO3", "Oper", Self.command(true)), expecting: 2)
        #expect(enhanced[0].hexDump == "A1 07 02 01 02 A5 02 81 00")
        #expect(enhanced[1].hexDump.hasPrefix("A3"))
        try server.setControlHandler(for: "GenericIO/GGIO1.SPCSO1") { _ in .failure(.blockedByProcess) }
        let failed = try await Self.exchange(client, Self.write(3, "GGIO1$CO$SPCSO1", "Oper", Self.command(false)), expecting: 2)
        #expect(try Self.addCause(failed[0]) == 9)
        #expect(failed[1].hexDump == "A1 08 02 01 03 A5 03 80 01 03")
    }

    @Test("BSC (Tcmd ctlVal) reaches its handler; a test command reaches it too and changes no status")
    func tapChangerAndTestFlag() async throws {
        let node = LogicalNodeSpec(
            lnClass: "YLTC", inst: "1",
            dataObjects: [CDC.bsc("TapChg", ctlModel: .directWithNormalSecurity), CDC.spc("Blk", ctlModel: .directWithNormalSecurity)])
        let seen = Mutex<[ControlAction]>([])
        let (server, client) = try await Self.connect(model: Self.model(node)) { server in
            server.statusFollowsControl = true
            for object in ["LD0/YLTC1.TapChg", "LD0/YLTC1.Blk"] {
                try server.setControlHandler(for: object) { action in
                    seen.withLock { $0.append(action) }
                    return .success
                }
            }
        }
        defer { Task { await server.stop() } }
        let higher: MMSData = .structure([
            .bitString(MMSBitString(bytes: [0x80], bitCount: 2)), .structure([.integer(3), .octetString([])]), .unsigned(1),
            .utcTime([UInt8](repeating: 0, count: 8)), .boolean(false), .bitString(MMSBitString(bytes: [0x00], bitCount: 2)),
        ])
        let tap = try await Self.exchange(client, ClientFrames.write(1, domain: "TLD0", item: "YLTC1$CO$TapChg$Oper", value: higher), expecting: 1)
        #expect(tap[0].hexDump == Self.success)
        let test = try await Self.exchange(
            client, ClientFrames.write(2, domain: "TLD0", item: "YLTC1$CO$Blk$Oper", value: Self.command(true, test: true)), expecting: 1)
        #expect(test[0].hexDump == "A1 07 02 01 02 A5 02 81 00")
        let actions = seen.withLock { $0 }
        #expect(actions.map(\.value) == [.integer(2), .boolean(true)])  // Tcmd 10 = higher
        #expect(actions.map(\.test) == [false, true])
        try await Task.sleep(for: .milliseconds(50))
        #expect(server.value(of: try server.handle(for: "LD0/YLTC1.Blk.stVal")) == .boolean(false))  // a test changes nothing
    }
}
