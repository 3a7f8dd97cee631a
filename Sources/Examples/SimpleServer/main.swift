// The simplest server (tutorial step 1): a model from an SCL file, started on a port, stopped on Ctrl-C.
//
//   swift run example-simple-server mappings/demo/demo.icd 10102
import IEC61850Model
import IEC61850Server
import Logging
import ServiceLifecycle

let arguments = CommandLine.arguments
let sclFile = arguments.count > 1 ? arguments[1] : "mappings/demo/demo.icd"
let port = arguments.count > 2 ? Int(arguments[2]) ?? 10102 : 10102

// 1. Create the model from the SCL file (no code generation step).
let model = try SCLLoader().load(file: sclFile)

// 2. Create the server for the model; 102 is the standard port, 10102 needs no root.
var configuration = IedServerConfiguration()
configuration.port = port
let server = IedServer(model: model, configuration: configuration)

// 3. Run until SIGINT/SIGTERM; stopping closes every association.
let logger = Logger(label: "simple-server")
logger.info("serving \(model.name) on port \(port); Ctrl-C stops")
try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger).run()
