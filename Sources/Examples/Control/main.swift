// Control handlers (tutorial step 3, libIEC61850's server_example_control): four outputs, one per
// controllable model, each with a handler that gets the value and the test flag and answers.
//
//   swift run example-control 10102
//
// GenericIO/GGIO1.SPCSO1 direct-normal, SPCSO2 SBO-normal, SPCSO3 direct-enhanced, SPCSO4 SBO-enhanced.
// SPCSO4 also has an interlock check: it refuses ON while SPCSO1 is ON.
import IEC61850Model
import IEC61850Server
import Logging
import ServiceLifecycle

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10102 : 10102
let logger = Logger(label: "control")

var builder = IedModelBuilder(iedName: "simpleIO")
builder.addLogicalDevice(
    LogicalDeviceSpec(
        inst: "GenericIO",
        logicalNodes: [
            LogicalNodeSpec(lnClass: "LLN0", dataObjects: [CDC.ens("Mod"), CDC.ens("Beh"), CDC.lpl("NamPlt", vendor: "example")]),
            LogicalNodeSpec(
                lnClass: "GGIO", inst: "1",
                dataObjects: [
                    CDC.spc("SPCSO1", ctlModel: .directWithNormalSecurity), CDC.spc("SPCSO2", ctlModel: .sboWithNormalSecurity),
                    CDC.spc("SPCSO3", ctlModel: .directWithEnhancedSecurity), CDC.spc("SPCSO4", ctlModel: .sboWithEnhancedSecurity),
                ]),
        ]))

var configuration = IedServerConfiguration()
configuration.port = port
let server = IedServer(model: builder.build(), configuration: configuration)

// The application owns the status: here stVal, q and t follow each command that is not a test.
let outputs = try (1...4).map { index in
    (
        object: "GenericIO/GGIO1.SPCSO\(index)", stVal: try server.handle(for: "GenericIO/GGIO1.SPCSO\(index).stVal"),
        quality: try server.handle(for: "GenericIO/GGIO1.SPCSO\(index).q"), time: try server.handle(for: "GenericIO/GGIO1.SPCSO\(index).t")
    )
}
for output in outputs {
    var handlers = ControlHandlers(control: { action in
        logger.info("control \(action.object): \(action.value)\(action.test ? " (test)" : "") from \(action.connection)")
        guard !action.test else { return .success }  // a test command changes nothing in the process
        do {
            try server.batch { batch in
                try batch.set(output.stVal, action.value)
                try batch.set(output.quality, .quality(.good))
                try batch.set(output.time, .timestamp(.now()))
            }
            return .success
        } catch {
            return .failure(.blockedByProcess)
        }
    })
    if output.object.hasSuffix("SPCSO4") {
        handlers.check = { action in
            action.value == .boolean(true) && server.value(of: outputs[0].stVal) == .boolean(true) ? .refuse(.blockedByInterlocking) : .accept
        }
    }
    try server.setControlHandlers(for: output.object, handlers)
}

logger.info("serving simpleIO on port \(port): GenericIO/GGIO1.SPCSO1..4 in the four controllable models")
try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger).run()
