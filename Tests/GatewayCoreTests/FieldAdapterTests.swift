import Foundation
import IEC61850Model
import IEC61850Server
import Logging
import Synchronization
import Testing

@testable import GatewayCore

/// The seam a third field protocol plugs into: an adapter the core has never heard of, made by a
/// factory, feeds the model and carries commands through `FieldAdapter` alone.
@Suite("Field adapters")
struct FieldAdapterTests {
    /// A field protocol of the test's own: it carries the routes to device `bus`, remembers what it was
    /// asked to send, and hands its sink whatever the test delivers.
    final class BusAdapter: FieldAdapter {
        let deliver: @Sendable ([FieldReading]) -> Void
        let sent = Mutex<[FieldCommand]>([])
        let started = Mutex(false)

        init(deliver: @escaping @Sendable ([FieldReading]) -> Void) { self.deliver = deliver }

        static let adapters: FieldAdapterFactory = { configuration, deliver in
            configuration.modbusDevices.contains { $0.name == "bus" } ? [BusAdapter(deliver: deliver)] : []
        }

        var name: String { "bus" }
        func start() throws { started.withLock { $0 = true } }
        func stop() { started.withLock { $0 = false } }
        var links: [FieldLink] { [FieldLink(source: "bus", up: started.withLock { $0 })] }
        func carries(_ route: GatewayConfiguration.ControlRoute) -> Bool { route.modbus?.device == "bus" }
        func send(_ command: FieldCommand) async throws -> ControlResult? {
            sent.withLock { $0.append(command) }
            return .success
        }
    }

    @Test("an adapter unknown to the core feeds the model and carries the commands of its routes")
    func thirdAdapter() async throws {
        let configuration = try ConfigurationReader.parse(
            """
            modbus:
              - name: bus
                tcp: 127.0.0.1:1
            points:
              - ref: GenericIO/GGIO1.AnIn1
                modbus: {device: bus, table: input, address: 1, type: float32}
              - ref: GenericIO/GGIO1.SPCSO1
                modbus: {device: bus, table: coil, address: 2}
                control:
                  modbus: {device: bus, table: coil, address: 3}
                  map: {true: 7, false: 0}
                  confirm-ms: 500
            """, file: "bus.yaml")
        let model = try SCLLoader().load(file: ConfigurationTests.root.appendingPathComponent("mappings/demo/demo.icd").path)
        let server = IedServer(model: model)
        let bindings = try ConfigurationValidator.bind(configuration, to: model)
        let runtime = GatewayRuntime(bindings: bindings, services: server.services, logger: Logger(label: "test"))
        let adapters = try BusAdapter.adapters(configuration) { runtime.apply($0) }
        let bus = try #require(adapters.first as? BusAdapter)
        try bus.start()
        #expect(bus.links == [FieldLink(source: "bus", up: true)])

        bus.deliver([FieldReading(point: 0, value: .double(21.5), time: Timestamp(millisecondsSinceEpoch: 1_764_000_000_000))])
        #expect(server.value(of: bindings[0].value) == .float32(21.5))
        #expect(try runtime.routeControls(through: adapters).isEmpty)

        let result = await runtime.execute(
            ControlAction(object: bindings[1].dataObject, value: .boolean(true)), point: 1, route: try #require(bindings[1].point.control), through: bus)
        #expect(result.isSuccessForTest)  // the adapter's own answer; no status readback needed
        #expect(bus.sent.withLock { $0.map(\.value) } == [.integer(7)])  // ctlVal through the route's map
        bus.stop()
        #expect(bus.links == [FieldLink(source: "bus", up: false)])
    }
}
