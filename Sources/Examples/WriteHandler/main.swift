// Write access handler (tutorial step 4): a handler sees the attribute, the new value and the
// client connection, and accepts or refuses the write with a reason.
//
//   swift run example-write-handler 10102
// then write DEMOGenericIO/GGIO2.AllTypes.setVal [SP] with a client: values outside -1000…1000
// are refused with object-value-invalid.
import IEC61850Model
import IEC61850Server
import Logging
import ServiceLifecycle

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10102 : 10102
let logger = Logger(label: "write-handler")

let model = try SCLLoader().load(file: CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : "mappings/demo/demo.icd")
var configuration = IedServerConfiguration()
configuration.port = port
let server = IedServer(model: model, configuration: configuration)

let setting = try server.handle(for: "GenericIO/GGIO2.AllTypes.setVal")
server.setWriteAccessHandler(for: setting) { access in
    guard case .integer(let value) = access.newValue, (-1000...1000).contains(value) else {
        logger.notice("\(access.connection) tried \(access.attribute) = \(access.newValue): refused")
        return .deny(.objectValueInvalid)
    }
    logger.info("\(access.connection) set \(access.attribute) from \(access.currentValue) to \(access.newValue)")
    return .accept
}

logger.info("serving \(model.name) on port \(port); writes to GGIO2.AllTypes.setVal are checked")
try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger).run()
