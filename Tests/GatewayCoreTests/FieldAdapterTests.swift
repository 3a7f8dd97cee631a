import Foundation
import IEC61850Model
import IEC61850Server
import Logging
import Synchronization
import Testing

@testable import GatewayCore

/// The seam a third field protocol plugs into: an adapter the core has never heard of reads its own
/// configuration sections, feeds the model and carries commands, through `FieldAdapter` alone.
@Suite("Field adapters")
struct FieldAdapterTests {
    /// A field protocol of the test's own, configured under `bus:` (a top-level section naming the line,
    /// a channel per point and per control route). It remembers what it was asked to send, and hands its
    /// sink whatever the test delivers.
    final class BusAdapter: FieldAdapter {
        let line: String
        let deliver: @Sendable ([FieldReading]) -> Void
        let sent = Mutex<[(channel: Int, value: FieldValue)]>([])
        let started = Mutex(false)

        init(line: String, deliver: @escaping @Sendable ([FieldReading]) -> Void) {
            self.line = line
            self.deliver = deliver
        }

        /// Reads `bus:` sections the way a real adapter would: every channel a number, or an error with
        /// the file and line.
        static let kind = FieldAdapterKind(configurationKeys: ["bus"]) { configuration, deliver in
            guard let section = configuration.extensions["bus"]?.first else { return [] }
            var errors: [ConfigurationError] = []
            for point in configuration.points {
                for value in [point.extensions["bus"], point.control?.extensions["bus"]].compactMap({ $0 }) where value["channel"]?.integer == nil {
                    errors.append(
                        ConfigurationError(file: point.location.file, line: value.line, subject: "point \(point.reference)", "bus.channel must be a number"))
                }
            }
            guard errors.isEmpty else { throw ConfigurationErrors(errors: errors) }
            return [BusAdapter(line: section["line"]?.text ?? "?", deliver: deliver)]
        }

        var name: String { "bus \(line)" }
        func start() throws { started.withLock { $0 = true } }
        func stop() { started.withLock { $0 = false } }
        var links: [FieldLink] { [FieldLink(source: name, up: started.withLock { $0 })] }
        func carries(_ route: GatewayConfiguration.ControlRoute) -> Bool { route.extensions["bus"] != nil }
        func send(_ command: FieldCommand) async throws -> ControlResult? {
            let channel = command.route.extensions["bus"]?["channel"]?.integer ?? -1
            sent.withLock { $0.append((channel, command.value)) }
            return .success
        }
    }

    static let configuration = """
        bus:
          line: one
        points:
          - ref: GenericIO/GGIO1.AnIn1
            bus: {channel: 1}
          - ref: GenericIO/GGIO1.SPCSO1
            bus: {channel: 2}
            control:
              bus: {channel: 3}
              map: {true: 7, false: 0}
              confirm-ms: 500
        """

    @Test("an adapter unknown to the core reads its own sections, feeds the model and carries the commands of its routes")
    func thirdAdapter() async throws {
        let configuration = try ConfigurationReader.parse(Self.configuration, file: "bus.yaml", extensions: BusAdapter.kind.configurationKeys)
        let model = try SCLLoader().load(file: ConfigurationTests.root.appendingPathComponent("mappings/demo/demo.icd").path)
        let server = IedServer(model: model)
        let bindings = try ConfigurationValidator.bind(configuration, to: model)
        let runtime = GatewayRuntime(bindings: bindings, services: server.services, logger: Logger(label: "test"))
        let adapters = try BusAdapter.kind.make(configuration) { runtime.apply($0) }
        let bus = try #require(adapters.first as? BusAdapter)
        #expect(bus.name == "bus one")
        try bus.start()
        #expect(bus.links == [FieldLink(source: "bus one", up: true)])

        bus.deliver([FieldReading(point: 0, value: .double(21.5), time: Timestamp(millisecondsSinceEpoch: 1_764_000_000_000))])
        #expect(server.value(of: bindings[0].value) == .float32(21.5))
        #expect(try runtime.routeControls(through: adapters).isEmpty)

        let result = await runtime.execute(
            ControlAction(object: bindings[1].dataObject, value: .boolean(true)), point: 1, route: try #require(bindings[1].point.control), through: bus)
        #expect(result.isSuccessForTest)  // the adapter's own answer; no status readback needed
        #expect(bus.sent.withLock { $0.map(\.channel) } == [3])  // the route's own section
        #expect(bus.sent.withLock { $0.map(\.value) } == [.integer(7)])  // ctlVal through the route's map
        bus.stop()
        #expect(bus.links == [FieldLink(source: "bus one", up: false)])
    }

    @Test("the core refuses an adapter's key it was not told of, and the adapter's own errors name file and line")
    func sectionErrors() throws {
        #expect(throws: ConfigurationErrors.self) { try ConfigurationReader.parse(Self.configuration, file: "bus.yaml") }
        let broken = Self.configuration.replacingOccurrences(of: "bus: {channel: 3}", with: "bus: {channel: three}")
        let configuration = try ConfigurationReader.parse(broken, file: "bus.yaml", extensions: ["bus"])
        let error = #expect(throws: ConfigurationErrors.self) { try BusAdapter.kind.make(configuration) { _ in } }
        #expect(error?.description == "bus.yaml:9: point GenericIO/GGIO1.SPCSO1: bus.channel must be a number")
    }
}
