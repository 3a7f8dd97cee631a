// Client authentication (tutorial step 3): ACSE password authentication, with a decision per
// association that sees the password and the peer address.
//
//   swift run example-authentication 10102
// then associate with password "operator1" (or "engineer1" from 127.0.0.1 only).
import IEC61850Model
import IEC61850Server
import Logging
import ServiceLifecycle

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10102 : 10102
let logger = Logger(label: "authentication")

var configuration = IedServerConfiguration()
configuration.port = port
// The simple form is `.password("secret")`; a closure decides per association.
configuration.authenticator = .custom { request in
    let admitted: Bool
    switch request.password {
    case "operator1": admitted = true
    case "engineer1": admitted = request.peerAddress?.hasPrefix("127.0.0.1:") == true
    default: admitted = false
    }
    logger.info("association from \(request.peerAddress ?? "?") \(admitted ? "admitted" : "refused")")
    return admitted
}

let model = try SCLLoader().load(file: CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : "mappings/demo/demo.icd")
let server = IedServer(model: model, configuration: configuration)
logger.info("serving \(model.name) on port \(port) with password authentication")
try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger).run()
