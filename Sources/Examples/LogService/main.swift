// The log service (the tutorial's logging example): an SCL model whose LLN0 has a Log and log control
// blocks, its entries kept in SQLite with a maximum number of entries, values that change once a second.
// Clients read the log control block (LLN0$LG$EventLog) and query the journal LLN0$EventLog by time or
// after an entry; the entries survive a restart.
//
//   swift run example-log-service mappings/demo/demo.icd 10102 /tmp/demo-log.sqlite
import EventLog
import IEC61850Model
import IEC61850Server
import Logging
import ServiceLifecycle

let arguments = CommandLine.arguments
let scl = arguments.count > 1 ? arguments[1] : "mappings/demo/demo.icd"
let port = arguments.count > 2 ? Int(arguments[2]) ?? 10102 : 10102
let database = arguments.count > 3 ? arguments[3] : "log-service.sqlite"

// The storage of every log of the model, as libIEC61850's SqliteLogStorage with
// LogStorage_setMaxLogEntries: at most 1,000 entries per log, the oldest removed first.
let storage = try SQLiteLogStorage(path: database, maximumEntries: 1_000)
var configuration = IedServerConfiguration()
configuration.port = port
configuration.logStorage = storage
let server = IedServer(model: try SCLLoader().load(file: scl), configuration: configuration)

// The demo model's LLN0 logs GGIO1.Ind1..4 (data set Events) on data and quality changes.
let indications = try (1...4).map { try server.handle(for: "GenericIO/GGIO1.Ind\($0).stVal") }

/// Toggles one indication a second, so the log fills.
struct Toggler: Service {
    let server: IedServer
    let indications: [AttributeHandle]

    func run() async throws {
        var tick = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let handle = indications[tick % indications.count]
            let current = server.value(of: handle) == .boolean(true)
            try server.update(handle, to: .boolean(!current))
            tick += 1
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

let logger = Logger(label: "log-service")
logger.info("serving \(scl) on port \(port); log entries in \(database) (at most 1000 per log)")
try await ServiceGroup(
    services: [server, Toggler(server: server, indications: indications)], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger
).run()
storage.close()
