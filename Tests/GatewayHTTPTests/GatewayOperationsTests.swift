import GatewayCore
import IEC61850Model
import IEC61850Server
import Testing

@testable import GatewayHTTP

@Suite("The operations side's view of a gateway")
struct GatewayOperationsTests {
    static func server() -> IedServer {
        var builder = IedModelBuilder(iedName: "T")
        builder.addLogicalDevice(LogicalDeviceSpec(inst: "LD0", logicalNodes: [LogicalNodeSpec(lnClass: "LLN0", dataObjects: [CDC.ens("Mod")])]))
        return IedServer(model: builder.build())
    }

    @Test("health: unavailable, with the reason, while the MMS server does not run")
    func health() {
        let operations = GatewayOperations(server: Self.server(), field: .init(runtime: nil, adapters: []), storage: nil, configurationFile: nil)
        #expect(operations.health.serving == false)
        #expect(operations.health.reason == "the IEC 61850 server is not running")
        #expect(operations.points.isEmpty && operations.devices.isEmpty)
    }

    @Test("no reloader: a gateway on an SCL model alone has nothing to reload")
    func noReloader() {
        let operations = GatewayOperations(server: Self.server(), field: .init(runtime: nil, adapters: []), storage: nil, configurationFile: nil)
        #expect(operations.reload(requestedBy: "test") == nil)
        operations.setReloader { who in .refused("asked by \(who)") }
        #expect(operations.reload(requestedBy: "test") == .refused("asked by test"))
    }
}
