// Feeding process values (tutorial step 2): a model built in code, values updated once a second.
// Each update of magnitude, quality and time is one atomic batch, so a client never reads a new
// value with an old timestamp.
//
//   swift run example-process-values 10102
import IEC61850Model
import IEC61850Server
import Logging
import ServiceLifecycle

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10102 : 10102

// The model of the tutorial's simpleIO example, built with the CDC helpers.
var builder = IedModelBuilder(iedName: "simpleIO")
builder.addLogicalDevice(
    LogicalDeviceSpec(
        inst: "GenericIO",
        logicalNodes: [
            LogicalNodeSpec(lnClass: "LLN0", dataObjects: [CDC.ens("Mod"), CDC.ens("Beh"), CDC.ens("Health"), CDC.lpl("NamPlt", vendor: "example")]),
            LogicalNodeSpec(lnClass: "LPHD", inst: "1", dataObjects: [CDC.dpl("PhyNam"), CDC.ens("PhyHealth"), CDC.sps("Proxy")]),
            LogicalNodeSpec(lnClass: "GGIO", inst: "1", dataObjects: (1...4).map { CDC.mv("AnIn\($0)") } + (1...4).map { CDC.sps("Ind\($0)") }),
        ]))
let model = builder.build()

var configuration = IedServerConfiguration()
configuration.port = port
let server = IedServer(model: model, configuration: configuration)

// Resolve references to handles once; updates by handle do no string work.
let inputs = try (1...4).map { index in
    (
        magnitude: try server.handle(for: "GenericIO/GGIO1.AnIn\(index).mag.f"),
        quality: try server.handle(for: "GenericIO/GGIO1.AnIn\(index).q"),
        time: try server.handle(for: "GenericIO/GGIO1.AnIn\(index).t")
    )
}

/// Samples the "process" once a second until shutdown.
struct Sampler: Service {
    let server: IedServer
    let inputs: [(magnitude: AttributeHandle, quality: AttributeHandle, time: AttributeHandle)]

    func run() async throws {
        var tick: Float = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            tick += 1
            let now = Timestamp.now()
            try server.batch { batch in
                for (index, input) in inputs.enumerated() {
                    try batch.set(input.magnitude, .float32(tick * Float(index + 1) / 10))
                    try batch.set(input.quality, .quality(.good))
                    try batch.set(input.time, .timestamp(now))
                }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

let logger = Logger(label: "process-values")
logger.info("serving simpleIO on port \(port); AnIn1..4 change every second")
try await ServiceGroup(
    services: [server, Sampler(server: server, inputs: inputs)], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger
).run()
