import ArgumentParser
import EventLog
import Foundation
import GatewayCore
import GatewayHTTP
import IEC61850Model
import IEC61850Server
import Logging
import MQTTAdapter
import ModbusAdapter
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Serve an SCL model to IEC 61850 clients until Ctrl-C or SIGTERM.",
        discussion: """
            Values start as the SCL file's initial values (<Val> in the templates and instances). \
            Clients may read everything and write settings (FCs SP, SV, SE). Port 102 needs root or \
            CAP_NET_BIND_SERVICE; use --port 10102 to try it as a normal user.

            Examples:
              iec61850-gateway run --scl mappings/demo/demo.icd --port 10102
              DEMO_PASSWORD=secret iec61850-gateway run --scl plant.scd --ied IED3 --password-env DEMO_PASSWORD
              iec61850-gateway run --scl plant.cid --port 10102 --simulate --simulate-delay 500
              iec61850-gateway run --scl plant.cid --tls-port 3782 --tls-certificate server.pem --tls-key server.key \\
                  --tls-ca plant-ca.pem --tls-crl plant-ca.crl --tls-only

            With TLS, every client must present a certificate that chains to a --tls-ca certificate, is valid \
            now, is not revoked by a --tls-crl list and, with --tls-allow, is one of those certificates. The \
            files are read again on SIGHUP and whenever they change; established associations keep running.

            Controls need a route to the field (a control: section of a point in --config); a control with \
            no route is refused with AddCause not-supported. With --simulate the gateway is an IED simulator for \
            commissioning: every control is accepted and executed after --simulate-delay milliseconds, and \
            the status (stVal, or mxVal for APC, with q, t, origin and ctlNum) follows the command.
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp("A gateway configuration (YAML): model, server settings, Modbus devices and points. Flags override it.", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("The SCL file to serve (ICD, CID, IID or SCD).", valueName: "file"))
    var scl: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The IED to serve: picks the IED of that name in a file with several (an SCD); in a file with one IED, serves it under this name.",
            valueName: "name"))
    var ied: String?

    @Option(name: .long, help: ArgumentHelp("TCP port to listen on (default 102).", valueName: "n"))
    var port: Int?

    @Option(
        name: .long,
        help: ArgumentHelp("Address to listen on (0.0.0.0 = every interface, the default; 127.0.0.1 = this machine only).", valueName: "addr"))
    var bind: String?

    @Option(
        name: .customLong("password-env"),
        help: ArgumentHelp("Require clients to authenticate with the password held in this environment variable.", valueName: "var"))
    var passwordEnvironmentVariable: String?

    @Option(
        name: .customLong("tls-port"),
        help: ArgumentHelp("Also serve MMS over TLS (IEC 62351-3) on this port (3782 is the IANA port; needs the --tls-… files).", valueName: "n"))
    var tlsPort: Int?

    @Option(name: .customLong("tls-certificate"), help: ArgumentHelp("The server's TLS certificate (PEM, with its intermediates).", valueName: "file"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The server's private key (PEM, unencrypted).", valueName: "file"))
    var tlsKey: String?

    @Option(
        name: .customLong("tls-ca"),
        help: ArgumentHelp("A CA certificate whose client certificates are trusted (PEM; repeat for several).", valueName: "file"))
    var tlsCA: [String] = []

    @Option(
        name: .customLong("tls-allow"),
        help: ArgumentHelp("Admit only these client certificates (PEM; repeat for several).", valueName: "file"))
    var tlsAllow: [String] = []

    @Option(name: .customLong("tls-crl"), help: ArgumentHelp("A certificate revocation list (PEM or DER; repeat for several).", valueName: "file"))
    var tlsCRL: [String] = []

    @Flag(name: .customLong("tls-only"), help: "Serve MMS over TLS only: no plain listener.")
    var tlsOnly = false

    @Option(name: .customLong("max-associations"), help: ArgumentHelp("The most clients connected at once (default 10).", valueName: "n"))
    var maximumAssociations: Int?

    @Option(
        name: .customLong("max-associations-per-peer"),
        help: ArgumentHelp("The most connections from one IP address at once (default: no limit of its own).", valueName: "n"))
    var maximumAssociationsPerPeer: Int?

    @Option(
        name: .customLong("event-loops"),
        help: ArgumentHelp(
            "Threads serving the MMS associations (default 1: the least CPU per request; more for many TLS associations on many cores).",
            valueName: "n"))
    var eventLoops: Int?

    @Option(
        name: .customLong("association-timeout"),
        help: ArgumentHelp("Close a connection that has not associated within this time (default 10000).", valueName: "ms"))
    var associationTimeout: Int?

    @Option(
        name: .customLong("event-log"),
        help: ArgumentHelp(
            "The SQLite database of the event log and the IEC 61850 logs (default: $STATE_DIRECTORY/events.sqlite under systemd, else ~/.local/state/iec61850-gateway/events.sqlite); 'none' keeps no event log and the logs in memory.",
            valueName: "file"))
    var eventLog: String?

    @Option(
        name: .customLong("http-port"),
        help: ArgumentHelp("Serve the HTTP API, the page and /metrics on this port (the configuration's http: section; 8102 there by default).", valueName: "n")
    )
    var httpPort: Int?

    @Option(
        name: .customLong("http-bind"),
        help: ArgumentHelp("Address of the HTTP side (default 127.0.0.1: this machine only).", valueName: "addr"))
    var httpBind: String?

    @Flag(name: .long, help: "Simulate the IED: accept every control and let the status follow it (for commissioning).")
    var simulate = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Serve the files of this folder over the IEC 61850 file services, beside the model's CID (SCL/) and the event log's days (LOG/); overrides files: root.",
            valueName: "folder"))
    var files: String?

    @Option(name: .customLong("simulate-delay"), help: ArgumentHelp("With --simulate, how long a control takes to execute.", valueName: "ms"))
    var simulateDelay: Int = 100

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: String = "info"

    @Option(
        name: .customLong("log-format"), help: ArgumentHelp("text (the default) or json (one JSON object a line, for log collectors).", valueName: "format"))
    var logFormat: String = "text"

    func validate() throws {
        guard config != nil || scl != nil else { throw ValidationError("name the model: --scl FILE, or --config FILE whose model names one") }
        if let port { guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") } }
        if let tlsPort { guard (0...65535).contains(tlsPort) else { throw ValidationError("--tls-port must be between 0 and 65535") } }
        if let httpPort { guard (0...65535).contains(httpPort) else { throw ValidationError("--http-port must be between 0 and 65535") } }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level '\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        if let maximumAssociations { guard maximumAssociations >= 1 else { throw ValidationError("--max-associations must be at least 1") } }
        if let eventLoops { guard (1...64).contains(eventLoops) else { throw ValidationError("--event-loops must be between 1 and 64") } }
        if let maximumAssociationsPerPeer {
            guard maximumAssociationsPerPeer >= 1 else { throw ValidationError("--max-associations-per-peer must be at least 1") }
        }
        if let associationTimeout {
            guard (100...600_000).contains(associationTimeout) else { throw ValidationError("--association-timeout must be between 100 and 600000 ms") }
        }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json, not '\(logFormat)'") }
        guard (0...3_600_000).contains(simulateDelay) else { throw ValidationError("--simulate-delay must be between 0 and 3600000 ms") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label, logLevel: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "iec61850-gateway")
        #if os(Linux)
            // glibc serves a block of more than 128 KB from its own mapping, given back when freed, until one
            // such block is freed: then it raises the threshold (up to 32 MB) and later large blocks come
            // from the heap, where they stay resident (malloc_trim did not give them back). With 100,000
            // points that kept 100 MB: 350 MiB resident against 247 MiB with the threshold held at 128 KB,
            // for about one percent of a core more in mapping and unmapping (Benchmarks/gateway_modbus_load.py).
            // glibc's own MALLOC_MMAP_THRESHOLD_ in the environment still decides when it is set.
            if getenv("MALLOC_MMAP_THRESHOLD_") == nil { _ = setMallocOption(mallocMmapThreshold, 128 * 1024) }
        #endif

        // Built in a function of its own, so the configuration, the parsed files and everything else only
        // loading needs are gone before serving: a plant's configuration has tens of thousands of points.
        let gateway = try assemble(logger: logger)
        defer { gateway.storage?.close() }
        let server = gateway.server, adapters = gateway.operations.field.adapters
        // Loading parsed the SCL and YAML files into many short-lived allocations: hand that memory back
        // to the system before serving (glibc keeps freed heap otherwise).
        #if os(Linux)
            _ = releaseFreedHeap(0)
        #endif
        // Those running at the end (a reload replaces them) stop with the gateway; an adapter that does
        // not start stops those started before it.
        // A node of a redundant pair starts as the standby, and leaves the serial lines to the active one.
        if let redundancy = gateway.redundancy {
            do {
                try redundancy.start()
            } catch {
                throw CommandFailure("redundancy.state: \(error)")
            }
            logger.notice("redundant pair: node \(redundancy.node), standing by until keepalived asks (\(redundancy.files.rolePath))")
        }
        var started = true
        defer { if started { for adapter in gateway.operations.field.adapters.reversed() { adapter.stop() } } }
        // Stopped first (defers run last to first): no role change starts an adapter once they stop.
        defer { gateway.redundancy?.stop() }
        let startAdapters = {
            for (index, adapter) in adapters.enumerated() where gateway.redundancy?.drives(adapter) ?? true {
                do {
                    try adapter.start()
                } catch {
                    started = false
                    for earlier in adapters[..<index].reversed() { earlier.stop() }
                    throw CommandFailure("\(adapter.name): \(error)")
                }
            }
        }
        if let redundancy = gateway.redundancy { try redundancy.whileFieldIsSteady(startAdapters) } else { try startAdapters() }
        gateway.diagnostics?.start()
        defer { gateway.diagnostics?.stop() }
        defer { gateway.exports?.stop() }
        // SIGHUP reads the TLS certificates, key and CRLs again (as the server also does when they change),
        // and the configuration.
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        let operations = gateway.operations
        hangup.setEventHandler {
            do {
                try server.reloadTLS()
            } catch {
                logger.error("SIGHUP: \(error)")
            }
            _ = operations.reload(requestedBy: "SIGHUP")
        }
        hangup.resume()
        defer { hangup.cancel() }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)]
        if let http = gateway.http {
            let service = OperationsHTTP.service(
                operations: gateway.operations, metrics: gateway.metrics, settings: http, logger: Logger(label: "iec61850-gateway.http"))
            services.append(.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("stopped")
    }

    func loadModel(_ scl: String, ied: String?) throws -> IedModel {
        // --ied selects an IED when the file has it; otherwise it renames the only IED of a file of one.
        do {
            return try SCLLoader(iedName: ied, renamesOnlyIED: true).load(file: scl)
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

#if os(Linux)
    /// glibc's malloc_trim (in <malloc.h>, which the Glibc module does not export).
    @_silgen_name("malloc_trim")
    private func releaseFreedHeap(_ pad: Int) -> Int32

    /// glibc's mallopt (in <malloc.h>).
    @_silgen_name("mallopt")
    private func setMallocOption(_ option: Int32, _ value: Int32) -> Int32

    /// `M_MMAP_THRESHOLD` of <malloc.h>.
    private let mallocMmapThreshold: Int32 = -3
#endif
