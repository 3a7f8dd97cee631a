import EventLog
import Foundation
import IEC61850Model
import IEC61850Server
import Logging
import ModbusAdapter
import Synchronization
import Testing

@testable import GatewayCore

/// The demo model served (not listening), a runtime over the configuration's points, and a started poller
/// for its devices (one line: a TCP device, or the units of one serial port).
enum Gateway {
    /// `record`: where the runtime's events go (the event log), if anywhere.
    static func start(
        _ configuration: GatewayConfiguration, record: (@Sendable ([GatewayEvent]) -> Void)? = nil
    ) throws -> (IedServer, [PointBinding], GatewayRuntime, ModbusPoller) {
        let model = try SCLLoader().load(file: ConfigurationTests.root.appendingPathComponent("mappings/demo/demo.icd").path)
        let server = IedServer(model: model)
        let bindings = try ConfigurationValidator.bind(configuration, to: model)
        let runtime = GatewayRuntime(bindings: bindings, services: server.services, logger: Logger(label: "test"), record: record)
        let poller = ModbusPoller(line: configuration.modbusDevices, points: configuration.points, logger: Logger(label: "test")) {
            runtime.apply($0)
        }
        poller.start()
        return (server, bindings, runtime, poller)
    }
}

@Suite("Modbus to the model, against the bundled device simulator on loopback", .timeLimit(.minutes(1)))
struct ModbusGatewayTests {
    static func configuration(port: Int, extra: String = "") throws -> GatewayConfiguration {
        try ConfigurationReader.parse(
            """
            modbus:
              - name: meter
                tcp: 127.0.0.1:\(port)
                word-order: little
                timeout-ms: 200
                retry-ms: 200
            points:
              - ref: Measurement/MMXU1.TotW
                modbus: {device: meter, table: input, address: 52, type: float32}
                scale: 1000
                poll-ms: 50
              - ref: Measurement/MMXU1.Hz
                modbus: {device: meter, table: input, address: 54, type: float32}
                poll-ms: 50
              - ref: GenericIO/GGIO1.Ind1
                modbus: {device: meter, table: coil, address: 3}
                poll-ms: 50
              - ref: GenericIO/GGIO3.Pos1
                modbus: {device: meter, table: holding, address: 10, type: uint16, byte-order: little}
                map: {0: intermediate, 1: off, 2: on, 3: bad}
                poll-ms: 50
            \(extra)
            """, file: "test.yaml")
    }

    /// Waits (at most 5 s) until `condition` holds.
    static func eventually(_ condition: () throws -> Bool) async throws -> Bool {
        for _ in 0..<250 {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }

    @Test("the poll plan coalesces contiguous addresses per table into block reads")
    func plan() throws {
        let configuration = try Self.configuration(port: 1502)
        let plan = ModbusPollPlan(device: configuration.modbusDevices[0], points: configuration.points)
        let blocks = try #require(plan.groups.first?.blocks)
        #expect(blocks.map(\.table) == [.coil, .holding, .input])
        #expect(blocks.last.map { ($0.start, $0.count, $0.members.map(\.point)) } ?? (0, 0, []) == (52, 4, [0, 1]))
    }

    @Test("values reach the model with scaling, byte/word order and value maps; a dead device turns them invalid, then good again")
    func endToEnd() async throws {
        let simulator = try ModbusSimulator(port: 0)
        simulator.start()
        let port = simulator.port
        simulator.set(.input, address: 52, value: .double(1.5), as: .float32, wordOrder: .little)
        simulator.set(.input, address: 54, value: .double(50.02), as: .float32, wordOrder: .little)
        simulator.set(.coil, address: 3, bit: true)
        simulator.set(.holding, address: 10, value: .unsigned(2), as: .uint16, byteOrder: .little)

        let configuration = try Self.configuration(port: port)
        let (server, bindings, runtime, poller) = try Gateway.start(configuration)
        defer { poller.stop() }

        let power = try server.handle(for: "Measurement/MMXU1.TotW.mag.f")
        let quality = try server.handle(for: "Measurement/MMXU1.TotW.q")
        #expect(try await Self.eventually { server.value(of: power) == .float32(1500) })
        #expect(server.value(of: try server.handle(for: "Measurement/MMXU1.Hz.mag.f")) == .float32(50.02))
        #expect(server.value(of: try server.handle(for: "GenericIO/GGIO1.Ind1.stVal")) == .boolean(true))
        #expect(server.value(of: try server.handle(for: "GenericIO/GGIO3.Pos1.stVal")) == .integer(2))
        #expect(server.value(of: quality) == .quality(.good))
        guard case .timestamp(let stamped) = server.value(of: try server.handle(for: "Measurement/MMXU1.TotW.t")) else { return }
        #expect(stamped.secondsSinceEpoch > 0)

        simulator.set(.input, address: 52, value: .double(2.25), as: .float32, wordOrder: .little)
        #expect(try await Self.eventually { server.value(of: power) == .float32(2250) })

        simulator.stop()
        var failed = Quality(validity: .invalid)
        failed.insert(.failure)
        #expect(try await Self.eventually { server.value(of: quality) == .quality(failed) })
        #expect(server.value(of: power) == .float32(2250))  // the last good value stays

        let revived = try ModbusSimulator(port: port)
        revived.start()
        defer { revived.stop() }
        revived.set(.input, address: 52, value: .double(3), as: .float32, wordOrder: .little)
        #expect(try await Self.eventually { server.value(of: quality) == .quality(.good) && server.value(of: power) == .float32(3000) })
    }
}

@Suite("Controls routed to Modbus, against the bundled simulator", .timeLimit(.minutes(1)))
struct ModbusControlTests {
    @Test("a command is written once and succeeds when the status confirms it; no confirmation, or no device, fails with its cause")
    func routed() async throws {
        let simulator = try ModbusSimulator(port: 0)
        simulator.start()
        let configuration = try ConfigurationReader.parse(
            """
            modbus:
              - name: io
                tcp: 127.0.0.1:\(simulator.port)
                timeout-ms: 200
                retry-ms: 100
            points:
              - ref: GenericIO/GGIO1.SPCSO1
                modbus: {device: io, table: coil, address: 12}
                poll-ms: 20
                control:
                  modbus: {device: io, table: coil, address: 12}
                  confirm-ms: 2000
              - ref: GenericIO/GGIO1.SPCSO2
                modbus: {device: io, table: coil, address: 20}
                poll-ms: 20
                control:
                  modbus: {device: io, table: coil, address: 21}
                  confirm-ms: 300
            """, file: "test.yaml")
        let (server, bindings, runtime, poller) = try Gateway.start(configuration)
        defer { poller.stop() }
        func run(_ index: Int, _ value: Bool) async -> ControlResult {
            let binding = bindings[index]
            return await runtime.execute(
                ControlAction(object: binding.dataObject, value: .boolean(value)), point: index, route: binding.point.control!, through: poller)
        }

        #expect(await run(0, true).isSuccessForTest)
        #expect(simulator.bit(.coil, address: 12))
        #expect(server.value(of: bindings[0].value) == .boolean(true))

        // The route writes coil 21, but the status reads coil 20: the field never confirms.
        let unconfirmed = await run(1, true)
        #expect(unconfirmed.causeForTest == .timeLimitOver)
        #expect(simulator.bit(.coil, address: 21))

        simulator.stop()
        let undelivered = await run(0, false)
        #expect(undelivered.causeForTest == .abortionByCommunicationLoss)
    }
}

@Suite("Several RTU units on one serial line (a pseudo-terminal served by the simulator)", .timeLimit(.minutes(1)))
struct ModbusSerialLineTests {
    @Test("two live units are polled and written through one port; a silent unit turns only its own points invalid")
    func sharedLine() async throws {
        let link = FileManager.default.temporaryDirectory.appendingPathComponent("rtu-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let simulator = try ModbusSimulator(serialLink: link, units: [1, 2])
        simulator.start()
        defer { simulator.stop() }
        simulator.set(.coil, address: 1, bit: true, unit: 1)
        simulator.set(.coil, address: 1, bit: false, unit: 2)
        simulator.set(.holding, address: 5, value: .unsigned(2), as: .uint16, unit: 2)
        let configuration = try ConfigurationReader.parse(
            """
            modbus:
              - name: north
                rtu: {device: \(link), baud: 19200}
                unit: 1
                timeout-ms: 200
              - name: south
                rtu: {device: \(link), baud: 19200}
                unit: 2
                timeout-ms: 200
              - name: silent
                rtu: {device: \(link), baud: 19200}
                unit: 7
                timeout-ms: 200
                retry-ms: 1000
            points:
              - ref: GenericIO/GGIO1.Ind1
                modbus: {device: north, table: coil, address: 1}
                poll-ms: 50
              - ref: GenericIO/GGIO1.Ind2
                modbus: {device: south, table: coil, address: 1}
                poll-ms: 50
              - ref: GenericIO/GGIO1.Ind3
                modbus: {device: silent, table: coil, address: 1}
                poll-ms: 50
              - ref: GenericIO/GGIO3.Pos1
                modbus: {device: south, table: holding, address: 5, type: uint16}
                map: {0: intermediate, 1: off, 2: on, 3: bad}
                poll-ms: 50
            """, file: "line.yaml")
        #expect(ModbusPoller.lines(configuration.modbusDevices).map { $0.map(\.name) } == [["north", "south", "silent"]])
        let (server, _, _, poller) = try Gateway.start(configuration)
        defer { poller.stop() }

        func value(_ reference: String) throws -> DataValue? { server.value(of: try server.handle(for: reference)) }
        var failed = Quality(validity: .invalid)
        failed.insert(.failure)
        #expect(try await ModbusGatewayTests.eventually { try value("GenericIO/GGIO1.Ind3.q") == .quality(failed) })
        #expect(try await ModbusGatewayTests.eventually { try value("GenericIO/GGIO1.Ind1.stVal") == .boolean(true) })
        #expect(try value("GenericIO/GGIO1.Ind1.q") == .quality(.good))
        #expect(try value("GenericIO/GGIO1.Ind2.stVal") == .boolean(false))
        #expect(try value("GenericIO/GGIO3.Pos1.stVal") == .integer(2))

        // The live units keep being polled while the silent one keeps failing.
        simulator.set(.coil, address: 1, bit: true, unit: 2)
        #expect(try await ModbusGatewayTests.eventually { try value("GenericIO/GGIO1.Ind2.stVal") == .boolean(true) })
        #expect(try value("GenericIO/GGIO1.Ind3.q") == .quality(failed))

        // A write goes to its own unit only.
        var destination = GatewayConfiguration.ModbusAddress(device: "south", table: .holding, address: 9, type: .uint16)
        try await poller.write(device: "south", destination, .unsigned(4242))
        #expect(simulator.lastWriteFunction == 6)
        destination.writeFunction = 16  // for a device that only takes "write multiple registers"
        try await poller.write(device: "south", destination, .unsigned(4242))
        #expect(simulator.lastWriteFunction == 16)
        #expect(simulator.registers(.holding, address: 9, count: 1, unit: 2) == [4242])
        #expect(simulator.registers(.holding, address: 9, count: 1, unit: 1) == [0])
        await #expect(throws: ModbusError.self) { try await poller.write(device: "silent", destination, .unsigned(1)) }
    }
}

@Suite("A command that ended is never written late", .timeLimit(.minutes(1)))
struct LateWriteTests {
    @Test("a write queued behind a silent unit's timeout, whose command ended meanwhile, is dropped and recorded, never sent")
    func droppedWhenCancelled() async throws {
        let link = FileManager.default.temporaryDirectory.appendingPathComponent("rtu-late-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let simulator = try ModbusSimulator(serialLink: link, units: [1])
        simulator.start()
        defer { simulator.stop() }
        let configuration = try ConfigurationReader.parse(
            """
            modbus:
              - name: live
                rtu: {device: \(link), baud: 19200}
                unit: 1
                timeout-ms: 200
              - name: silent
                rtu: {device: \(link), baud: 19200}
                unit: 9
                timeout-ms: 1500
                retry-ms: 10
            points:
              - ref: GenericIO/GGIO1.SPCSO1
                modbus: {device: live, table: coil, address: 4}
                poll-ms: 50
                control:
                  modbus: {device: live, table: coil, address: 4}
                  confirm-ms: 1000
              - ref: GenericIO/GGIO1.Ind3
                modbus: {device: silent, table: coil, address: 1}
                poll-ms: 10
            """, file: "late.yaml")
        let events = Mutex<[GatewayEvent]>([])
        let (server, bindings, runtime, poller) = try Gateway.start(configuration) { recorded in events.withLock { $0.append(contentsOf: recorded) } }
        defer { poller.stop() }
        // Wait until the silent unit has failed once (its points turn invalid after a 1.5 s timeout), then
        // until a poll of it holds the line again: a write queued now waits up to 1.5 s. (A fixed sleep
        // here raced the short poll of the live unit between two timeouts under load.)
        #expect(try await ModbusGatewayTests.eventually { server.value(of: try server.handle(for: "GenericIO/GGIO1.Ind3.q")) != .quality(.good) })
        #expect(try await ModbusGatewayTests.eventually { poller.deviceBeingPolled == "silent" })
        let route = try #require(bindings[0].point.control)
        let command = Task {
            await runtime.execute(ControlAction(object: bindings[0].dataObject, value: .boolean(true)), point: 0, route: route, through: poller)
        }
        try await Task.sleep(for: .milliseconds(100))
        command.cancel()  // what the server does when the control timeout answers first
        #expect(await command.value.causeForTest == .timeLimitOver)
        try await Task.sleep(for: .seconds(2))  // the line is free again: nothing may be written now
        #expect(!simulator.bit(.coil, address: 4, unit: 1))
        #expect(events.withLock { $0 }.contains { $0.kind == .command && $0.result == "dropped" })
    }
}

extension ControlResult {
    var isSuccessForTest: Bool {
        if case .success = self { return true }
        return false
    }
    var causeForTest: AddCause? {
        if case .failure(let cause) = self { return cause }
        return nil
    }
}
