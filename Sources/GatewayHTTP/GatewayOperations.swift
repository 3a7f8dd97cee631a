import CoreMetrics
import EventLog
import GatewayCore
import IEC61850Model
import IEC61850Server
import Synchronization

/// The running gateway as the operations side sees it: the server, the field side (replaced as a whole
/// when the configuration is reloaded), the event log, and what the server's events say about controls.
public final class GatewayOperations: Sendable {
    /// The field side of one configuration: the runtime that maps readings onto the model, and its adapters.
    public struct Field: Sendable {
        public var runtime: GatewayRuntime?
        public var adapters: [any FieldAdapter]

        public init(runtime: GatewayRuntime?, adapters: [any FieldAdapter]) {
            self.runtime = runtime
            self.adapters = adapters
        }
    }

    public let server: IedServer
    public let storage: SQLiteLogStorage?
    /// The configuration file the gateway runs (nil: an SCL model only).
    public let configurationFile: String?
    public let startedMilliseconds: UInt64
    private let currentField: Mutex<Field>
    /// Reloads the configuration, when the gateway runs one (`who`: what asked, for the event log).
    private let reloader = Mutex<(@Sendable (_ who: String) -> ReloadOutcome)?>(nil)
    private let redundancyController = Mutex<RedundancyController?>(nil)

    public init(server: IedServer, field: Field, storage: SQLiteLogStorage?, configurationFile: String?) {
        self.server = server
        self.storage = storage
        self.configurationFile = configurationFile
        startedMilliseconds = currentMilliseconds()
        currentField = Mutex(field)
    }

    /// The field side now.
    public var field: Field { currentField.withLock { $0 } }

    /// Puts a new field side in place (after a reload); returns the one it replaces.
    @discardableResult
    public func replaceField(with field: Field) -> Field {
        currentField.withLock { current in
            let old = current
            current = field
            return old
        }
    }

    /// The redundant pair's side of this node, when it is one.
    public var redundancy: RedundancyController? {
        get { redundancyController.withLock { $0 } }
        set { redundancyController.withLock { $0 = newValue } }
    }

    /// The node's role: active unless it is the standby of a redundant pair.
    public var role: GatewayRole { redundancy?.role ?? .active }

    /// Installs what `POST /api/reload` calls.
    public func setReloader(_ reload: @escaping @Sendable (_ who: String) -> ReloadOutcome) {
        reloader.withLock { $0 = reload }
    }

    /// Reloads the configuration; nil when the gateway runs none (an SCL model alone).
    public func reload(requestedBy who: String) -> ReloadOutcome? {
        guard let reload = reloader.withLock({ $0 }) else { return nil }
        return reload(who)
    }

    /// Every configured point as served now.
    public var points: [PointStatus] { field.runtime?.status() ?? [] }

    /// Every field source (Modbus devices, the MQTT broker) with its link state and counters.
    public var devices: [FieldLink] { field.adapters.flatMap(\.links) }

    /// Counts what the server's events tell about controls (`iec61850_control_commands_total`, by
    /// service and result: `success` or the AddCause). The executable passes every server event here.
    public func observe(_ event: ServerEvent) {
        guard case .command(let outcome) = event else { return }
        Counter(
            label: "iec61850_control_commands_total",
            dimensions: [("service", outcome.service), ("result", outcome.cause.map { "\($0)" } ?? "success")]
        ).increment()
    }

    /// Whether the gateway serves: the MMS server runs and a configuration is loaded.
    public var health: (serving: Bool, reason: String?) {
        guard server.isRunning else { return (false, "the IEC 61850 server is not running") }
        return (true, nil)
    }
}
