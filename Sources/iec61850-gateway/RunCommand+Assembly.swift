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

extension RunCommand {
    /// What `run` serves: the server with its model, the adapters that feed it and the event log.
    struct Assembly {
        let server: IedServer
        /// The server, the field side (the adapters feeding the server, started and stopped by `run`) and
        /// the event log, as the HTTP side reads them.
        let operations: GatewayOperations
        /// Closed by `run` when the gateway stops, and here if loading fails after opening it (its writer
        /// thread keeps it alive until then).
        var storage: SQLiteLogStorage? { operations.storage }
        /// Where the HTTP side listens, when it is on; and the metrics registry it serves.
        let http: OperationsHTTP.Settings?
        let metrics: MetricsExporter?
        /// Keeps the diagnostics LD current, when the model has one.
        let diagnostics: DiagnosticsPublisher?
        /// The event log's days offered as files (`LOG/`), when the file services are on.
        let exports: EventLogExports?
        /// The node's side of a redundant pair, when the configuration has a `redundancy:` section.
        let redundancy: RedundancyController?
    }

    /// The field protocols the gateway speaks: one line per adapter.
    static let adapterKinds: [FieldAdapterKind] = [
        ModbusPoller.kind,
        MQTTAdapter.kind,
    ]

    /// The configuration keys the adapters read themselves.
    static var configurationExtensions: Set<String> { Set(adapterKinds.flatMap(\.configurationKeys)) }

    /// Loads the configuration and the model, checks every point against the model, and wires the server
    /// to its adapters, the event log and the control routes. Nothing here talks to the field yet.
    func assemble(logger: Logger) throws -> Assembly {
        // The configuration file, if any; every flag given overrides it.
        var file: GatewayConfiguration?
        if let config {
            do {
                file = try ConfigurationReader.load(file: config, extensions: Self.configurationExtensions)
            } catch {
                throw CommandFailure("\(error)")
            }
        }
        let plan = try serverPlan(file, logger: logger)
        var configuration = plan.configuration
        let (sclPath, port, bind, model, channels, http, metrics) = (plan.sclPath, plan.port, plan.bind, plan.model, plan.channels, plan.http, plan.metrics)
        // The event log: one SQLite file for the gateway's events and the model's IEC 61850 logs.
        let eventLogPath = eventLog ?? file?.eventLog.path ?? EventLogLocation.defaultPath()
        var storage: SQLiteLogStorage?
        if eventLogPath != "none" {
            do {
                try EventLogLocation.prepare(eventLogPath)
                storage = try SQLiteLogStorage(
                    path: eventLogPath, maximumEntries: file?.eventLog.maximumLogEntries ?? 100_000,
                    maximumEvents: file?.eventLog.maximumEvents ?? 1_000_000, maximumAuditEvents: file?.eventLog.maximumAuditEvents ?? 100_000,
                    logger: Logger(label: "iec61850-gateway.event-log"))
            } catch {
                throw CommandFailure("event log \(eventLogPath): \(error) (choose another file with --event-log, or --event-log none)")
            }
            configuration.logStorage = storage
        }
        var assembled = false
        defer { if !assembled { storage?.close() } }
        let exports = try fileServices(file?.files, storage: storage, eventLogPath: eventLogPath, into: &configuration, logger: logger)
        defer { if !assembled { exports?.stop() } }
        let server = IedServer(model: model, configuration: configuration, logger: Logger(label: "iec61850.server"))
        // LPHD.PhyNam says what Identify says when the configuration names the device or the gateway built
        // the model; an SCL file's own nameplate stays.
        if file?.server.vendor != nil || file?.server.modelName != nil || file?.server.revision != nil || sclPath == nil {
            Self.nameplate(of: server)
        }
        if storage != nil { logger.notice("event log: \(eventLogPath)") }
        var record: (@Sendable ([GatewayEvent]) -> Void)?
        if let storage { record = { events in storage.record(contentsOf: events) } }
        var field = GatewayOperations.Field(runtime: nil, adapters: [])
        var routed: Set<String> = []
        if let file {
            field = try Self.makeField(file, services: server.services, logger: logger, record: record)
            logger.notice("loaded \(config ?? "")", metadata: Self.summary(of: file))
            routed = Self.routeControls(of: field, logger: logger)
        }
        if simulate {
            // Objects with a route keep it; the others are simulated.
            server.simulateControls(delay: .milliseconds(simulateDelay))
            logger.notice("simulating the controllable objects without a route (\(simulateDelay) ms per control)")
        }
        let listeners = [configuration.servesPlainMMS ? "\(bind):\(port)" : nil, configuration.tls.map { "\(bind):\($0.port) (TLS)" }].compactMap { $0 }
        logger.notice(
            "serving IED \(model.name) from \(sclPath ?? "the configuration's points") on \(listeners.joined(separator: " and "))",
            metadata: ["logicalDevices": "\(model.logicalDevices.map { $0.name(iedName: model.name) }.joined(separator: ","))"])
        let operations = GatewayOperations(server: server, field: field, storage: storage, configurationFile: config)
        if let file, let config {
            let origin: GatewayReloader.ModelOrigin
            if let sclPath {
                origin = .scl(path: sclPath, digest: GatewayReloader.digest(FileManager.default.contents(atPath: sclPath) ?? Data()), fromFlag: scl != nil)
            } else {
                origin = .points
            }
            let reloader = GatewayReloader(
                file: config, configuration: file, routed: routed, origin: origin, operations: operations,
                simulateDelay: simulate ? .milliseconds(simulateDelay) : nil, logger: logger)
            operations.setReloader { who in reloader.reload(requestedBy: who) }
        }
        // Every server event goes to the event log and to the operations side's control counters.
        server.setEventObserver { [storage] event in
            var recorded = GatewayEvent(event)
            if case .command(let outcome) = event, outcome.cause == .blockedByMode, operations.role == .standby {
                recorded.detail = (recorded.detail ?? "") + "; refused: this node is the standby of a redundant pair"
            }
            storage?.record(recorded)
            operations.observe(event)
        }
        assembled = true
        var diagnostics: DiagnosticsPublisher?
        if let channels {
            do {
                diagnostics = try DiagnosticsPublisher(
                    services: server.services, channels: channels, links: { operations.devices },
                    problem: { [storage] in storage?.status.failure.map { "the event log cannot be written: \($0)" } })
            } catch {
                throw CommandFailure("diagnostics: \(error)")
            }
        }
        // A new active node waits out a serial request of the old one: half a second more than the longest timeout.
        let serialTimeout = file?.modbusDevices.filter { $0.serialPort != nil }.map(\.timeoutMilliseconds).max()
        let redundancy = file?.redundancy.map {
            Self.redundancy($0, server: server, operations: operations, logger: logger, minimumHandOver: serialTimeout.map { $0 + 500 } ?? 0)
        }
        operations.redundancy = redundancy
        return Assembly(
            server: server, operations: operations, http: http, metrics: metrics, diagnostics: diagnostics, exports: exports, redundancy: redundancy)
    }

    /// The node's side of a redundant pair: what its role changes in the server, the field and the model.
    static func redundancy(
        _ settings: GatewayConfiguration.Redundancy, server: IedServer, operations: GatewayOperations, logger: Logger, minimumHandOver: Int
    ) -> RedundancyController {
        let storage = operations.storage
        let hooks = RedundancyController.Hooks(
            admitAssociations: { server.refuseConnections(because: $0) }, closeAssociations: { server.closeConnections() },
            adapters: { operations.field.adapters }, serverProblem: { operations.health.reason }, record: { storage?.record($0) },
            roleChanged: { role in
                // The diagnostics LD's RedAct, when the model has it.
                try? server.services.batch { batch in
                    try batch.set(server.services.handle(for: "\(DiagnosticsDevice.roleObject).stVal"), .boolean(role == .active))
                    if let time = try? server.services.handle(for: "\(DiagnosticsDevice.roleObject).t") { try batch.set(time, .timestamp(.now())) }
                }
            })
        return RedundancyController(settings, services: server.services, hooks: hooks, logger: logger, minimumHandOverMilliseconds: minimumHandOver)
    }

    /// What `run` would serve, decided from the configuration and the flags before anything is opened:
    /// the server's configuration (but for the event log and files), the model and the HTTP side.
    struct ServerPlan {
        var configuration: IedServerConfiguration
        let sclPath: String?
        let port: Int
        let bind: String
        let model: IedModel
        let channels: [String]?
        let http: OperationsHTTP.Settings?
        let metrics: MetricsExporter?
    }

    /// - Parameter forStatements: for the conformance statements: a password variable that is not set
    ///   does not stop it, and no metrics are set up.
    func serverPlan(_ file: GatewayConfiguration?, logger: Logger, forStatements: Bool = false) throws -> ServerPlan {
        let sclPath = scl ?? file?.scl
        let port = self.port ?? file?.server.port ?? 102
        let bind = self.bind ?? file?.server.bind ?? "0.0.0.0"
        var configuration = IedServerConfiguration()
        configuration.port = port
        configuration.bindAddress = bind
        configuration.maximumAssociations = maximumAssociations ?? file?.server.maximumAssociations ?? 10
        configuration.maximumAssociationsPerPeer = maximumAssociationsPerPeer ?? file?.server.maximumAssociationsPerPeer
        if let threads = eventLoops ?? file?.server.eventLoopThreads { configuration.eventLoopThreads = threads }
        if let milliseconds = associationTimeout ?? file?.server.associationTimeoutMilliseconds {
            configuration.associationTimeout = .milliseconds(milliseconds)
        }
        configuration.tls = try tlsSettings(file?.server.tls)
        configuration.servesPlainMMS = !(tlsOnly || file?.server.tls?.only == true)
        if !configuration.servesPlainMMS, configuration.tls == nil {
            throw ValidationError("--tls-only needs a TLS listener: --tls-port and the --tls-… files")
        }
        var password: String?
        if let variable = passwordEnvironmentVariable ?? file?.server.passwordEnvironmentVariable {
            let value = ProcessInfo.processInfo.environment[variable] ?? ""
            guard !value.isEmpty || forStatements else {
                throw ValidationError("password-env \(variable): the environment variable \(variable) is not set or empty")
            }
            password = value
            configuration.authenticator = .password(value)
        }
        var roles: RoleMapping?
        if let access = file?.server.access {
            roles = try Self.roleMapping(access, engineerPassword: password)
            configuration.authenticator = .roles(roles!)
        }
        configuration.identity = IedServerConfiguration.Identity(
            vendor: file?.server.vendor ?? "iec61850-gateway", model: file?.server.modelName ?? "IEC 61850 gateway",
            revision: file?.server.revision ?? GatewayVersion.current)
        // The HTTP side, when asked for; its metrics backend goes in before the server and the adapters
        // make their metrics.
        var http: OperationsHTTP.Settings?
        if httpPort != nil || httpBind != nil || file?.http != nil {
            http = OperationsHTTP.Settings(
                bind: httpBind ?? file?.http?.bind ?? "127.0.0.1", port: httpPort ?? file?.http?.port ?? 8102, access: HTTPAccess(roles: roles),
                tls: configuration.tls != nil)
        }
        let metrics = http == nil || forStatements ? nil : MetricsExporter.bootstrap()

        let loaded: IedModel
        if let sclPath {
            loaded = try loadModel(sclPath, ied: ied ?? file?.ied)
        } else if var file {
            // No SCL file: the gateway builds the model from the points (their cdc: settings).
            file.ied = ied ?? file.ied
            do {
                loaded = try ModelFromPoints.build(file)
            } catch {
                throw CommandFailure("\(error)")
            }
        } else {
            throw ValidationError("name the model: --scl FILE, or --config FILE")
        }
        // The gateway's own health in the model (a diagnostics LD), for a built model or when asked for.
        var model = loaded
        var channels: [String]?
        if let file, file.diagnostics ?? (sclPath == nil) {
            model = try ConfiguredModel.withDiagnostics(loaded, configuration: file, path: config ?? "")
            channels = DiagnosticsDevice.channels(of: file)
        }
        return ServerPlan(
            configuration: configuration, sclPath: sclPath, port: port, bind: bind, model: model, channels: channels, http: http, metrics: metrics)
    }

    /// The file services of the `files:` section or `--files DIR`: the folder, the CID the server adds
    /// itself, and the event log's days under `LOG/`.
    func fileServices(
        _ section: GatewayConfiguration.Files?, storage: SQLiteLogStorage?, eventLogPath: String, into configuration: inout IedServerConfiguration,
        logger: Logger
    ) throws -> EventLogExports? {
        guard let settings = try fileSettings(section) else { return nil }
        configuration.files = settings
        logger.notice("file services on: \(settings.root ?? "no folder"), SCL/\(storage == nil ? "" : ", LOG/")")
        if settings.allowsDelete || settings.allowsWrite, case .none = configuration.authenticator {
            logger.warning("files: delete and write are open to every association; set server: access: to keep them for the engineer role")
        }
        guard let storage, (section?.logDays ?? 7) > 0 else { return nil }
        do {
            let exports = try EventLogExports(
                storage: storage, folder: eventLogPath + ".exports", days: section?.logDays ?? 7, logger: Logger(label: "iec61850-gateway.files"))
            configuration.fileSources["LOG"] = exports
            return exports
        } catch {
            throw CommandFailure("files: the event log's exports cannot be written beside \(eventLogPath): \(error)")
        }
    }

    /// LPHD.PhyNam of every logical device says what Identify says: vendor, model and software revision.
    static func nameplate(of server: IedServer) {
        let identity = server.configuration.identity
        for device in server.model.logicalDevices where device.logicalNodes.contains(where: { $0.lnClass == "LPHD" }) {
            for node in device.logicalNodes where node.lnClass == "LPHD" {
                for (attribute, value) in [("vendor", identity.vendor), ("model", identity.model), ("swRev", identity.revision)] {
                    try? server.services.update("\(device.inst)/\(node.name).PhyNam.\(attribute)", to: .string(value))
                }
            }
        }
    }

    /// The file services' settings of the `files:` section and `--files DIR`; nil when they are off.
    func fileSettings(_ section: GatewayConfiguration.Files?) throws -> FileServiceSettings? {
        guard section != nil || files != nil else { return nil }
        let root = files ?? section?.root
        if let root {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder), isFolder.boolValue else {
                throw CommandFailure("files: no folder at \(root)")
            }
        }
        return FileServiceSettings(
            root: root, allowsDelete: section?.allowsDelete ?? false, allowsWrite: section?.allowsWrite ?? false,
            maximumOpenPerAssociation: section?.maximumOpenPerAssociation ?? 5,
            maximumOpenTotal: section?.maximumOpen ?? 64)
    }

    /// The field side of a configuration: its points checked against the served model, the runtime that
    /// maps readings onto it, and the adapters (made, not started). Throws the validation messages.
    static func makeField(
        _ file: GatewayConfiguration, services: IedServices, logger: Logger, record: (@Sendable ([GatewayEvent]) -> Void)?
    ) throws -> GatewayOperations.Field {
        // The two nodes of a pair share a configuration: a broker drops the older of two sessions with one
        // client ID, so each node adds its name.
        var file = file
        if let redundancy = file.redundancy, file.mqtt != nil {
            file.mqtt!.clientID += "-" + (redundancy.node ?? ProcessInfo.processInfo.hostName)
        }
        let bindings: [PointBinding]
        do {
            bindings = try ConfigurationValidator.bind(file, to: services.model)
        } catch {
            throw CommandFailure("\(error)")
        }
        let runtime = GatewayRuntime(bindings: bindings, services: services, logger: logger, record: record)
        var adapters: [any FieldAdapter] = []
        for kind in adapterKinds {
            do {
                adapters += try kind.make(file) { runtime.apply($0) }
            } catch {
                throw CommandFailure("\(error)")
            }
        }
        return GatewayOperations.Field(runtime: runtime, adapters: adapters)
    }

    /// Installs the control handlers of the routed points; returns the objects they route.
    @discardableResult
    static func routeControls(of field: GatewayOperations.Field, logger: Logger) -> Set<String> {
        guard let runtime = field.runtime else { return [] }
        do {
            for object in try runtime.routeControls(through: field.adapters) {
                logger.warning("no adapter carries the control route of \(object); its commands are refused")
            }
        } catch {
            logger.error("control routes: \(error)")  // bound against the same model: not expected
        }
        return Set(runtime.bindings.filter { $0.point.control != nil }.map(\.dataObject))
    }

    /// What a loaded configuration feeds, for the log.
    static func summary(of file: GatewayConfiguration) -> Logger.Metadata {
        [
            "modbusDevices": "\(file.modbusDevices.map(\.name).joined(separator: ","))", "points": "\(file.points.count)",
            "mqttBroker": "\(file.mqtt.map { "\($0.host):\($0.port)" } ?? "none")",
            "controlRoutes": "\(file.points.filter { $0.control != nil }.count)",
        ]
    }

    /// The TLS listener's settings: the flags, over the configuration's `server: tls:` section.
    func tlsSettings(_ section: GatewayConfiguration.TLS?) throws -> TLSSettings? {
        let anyFlag = tlsPort != nil || tlsCertificate != nil || tlsKey != nil || !tlsCA.isEmpty || !tlsAllow.isEmpty || !tlsCRL.isEmpty
        guard anyFlag || section != nil else { return nil }
        guard let certificate = tlsCertificate ?? section?.certificate, let key = tlsKey ?? section?.key else {
            throw ValidationError(
                "TLS needs the server's certificate and key: --tls-certificate FILE --tls-key FILE (or certificate: and key: under server: tls:)")
        }
        var settings = section.flatMap(TLSSettings.init) ?? TLSSettings(certificateFile: certificate, privateKeyFile: key)
        (settings.certificateFile, settings.privateKeyFile) = (certificate, key)
        if let tlsPort { settings.port = tlsPort }
        if !tlsCA.isEmpty { settings.caFiles = tlsCA }
        if !tlsAllow.isEmpty { settings.allowedCertificateFiles = tlsAllow }
        if !tlsCRL.isEmpty { settings.crlFiles = tlsCRL }
        return settings
    }

    /// The `server: access:` rules as the server's role mapping; a `password-env` password is an engineer's.
    static func roleMapping(_ access: GatewayConfiguration.Access, engineerPassword: String?) throws -> RoleMapping {
        var mapping = RoleMapping(defaultRole: access.defaultRole.flatMap(Role.init(rawValue:)))
        if let engineerPassword { mapping.passwords.append(.init(PasswordHash(hashing: engineerPassword), role: .engineer)) }
        for rule in access.rules {
            guard let role = Role(rawValue: rule.role) else { continue }  // the reader refused it already
            let problem = { (what: String) in CommandFailure("\(access.location.file):\(rule.line): server.access: \(what)") }
            switch rule.kind {
            case "hash":
                do { mapping.passwords.append(.init(try PasswordHash(rule.value), role: role)) } catch { throw problem("\(error)") }
            case "subject": mapping.certificates.append(.init(.subject(rule.value), role: role))
            case "common-name": mapping.certificates.append(.init(.commonName(rule.value), role: role))
            case "fingerprint": mapping.certificates.append(.init(.fingerprint(rule.value), role: role))
            case "network":
                guard let network = IPNetwork(rule.value) else { throw problem("'\(rule.value)' is not a network") }
                mapping.networks.append(.init(network, role: role))
            default: throw problem("unknown rule \(rule.kind)")
            }
        }
        return mapping
    }
}
