import IEC61850Model

/// A gateway configuration as its YAML file states it (DESIGN.md §5): the model, the server settings,
/// the field devices and the points.
public struct GatewayConfiguration: Sendable {
    /// Where a setting came from, for messages.
    public struct Location: Sendable, Equatable {
        public let file: String
        public let line: Int

        public init(file: String, line: Int) {
            self.file = file
            self.line = line
        }
    }

    public struct Server: Sendable, Equatable {
        public var port: Int?
        public var bind: String?
        public var passwordEnvironmentVariable: String?
        public var maximumAssociations: Int?
        /// The most connections from one peer address (`max-associations-per-peer`).
        public var maximumAssociationsPerPeer: Int?
        /// The event-loop threads serving the associations (`event-loops`).
        public var eventLoopThreads: Int?
        /// Time from TCP accept to an accepted association before the connection is closed (`association-timeout-ms`).
        public var associationTimeoutMilliseconds: Int?
        /// MMS over TLS (`tls:`), with file paths resolved against the configuration file's folder.
        public var tls: TLS?
        /// Roles per association (`access:`); nil: every association may do everything.
        public var access: Access?
        /// What Identify, LPHD.PhyNam and the conformance statements say (`identity: {vendor, model,
        /// revision}`); the gateway's own names and version when not given.
        public var vendor: String?
        public var modelName: String?
        public var revision: String?
    }

    /// The `server: access:` section: which credentials give which role (`viewer`, `operator`, `engineer`).
    public struct Access: Sendable, Equatable {
        public struct Rule: Sendable, Equatable {
            /// `viewer`, `operator` or `engineer`.
            public var role: String
            /// What the client must prove: `hash` (a password hash), `subject`, `common-name`, `fingerprint`
            /// (of its certificate) or `network` (its address).
            public var kind: String
            public var value: String
            public var line: Int
        }

        /// The role of an association that matches no rule; nil refuses it.
        public var defaultRole: String?
        public var rules: [Rule] = []
        public var location: Location

        public init(location: Location) {
            self.location = location
        }
    }

    /// The `server: tls:` section: the TLS listener's port, certificates and CRLs.
    public struct TLS: Sendable, Equatable {
        public var port: Int?
        public var certificate: String?
        public var key: String?
        public var caFiles: [String] = []
        public var allowedCertificates: [String] = []
        public var crlFiles: [String] = []
        /// `only: true`: no plain listener.
        public var only: Bool?
        public var requireClientCertificate: Bool?
        public var location: Location

        public init(location: Location) {
            self.location = location
        }
    }

    /// The `http:` section: where the HTTP API, page and metrics listen.
    /// The `files:` section: the IEC 61850 file services (FileDirectory, FileOpen, FileRead, FileClose,
    /// and FileDelete when `delete: true`).
    public struct Files: Sendable, Equatable {
        /// The folder clients may list and read (resolved against the configuration file's folder); nil:
        /// only the gateway's own files (`SCL/`, `LOG/`).
        public var root: String?
        /// Whether FileDelete may remove files from `root` (for the engineer role).
        public var allowsDelete = false
        /// Whether clients may store files in `root` with ObtainFile, the ACSI SetFile (`write`, for the
        /// engineer role).
        public var allowsWrite = false
        /// Files one association may have open at once (`max-open-per-association`, 5 when not given).
        public var maximumOpenPerAssociation: Int?
        /// Files open at once in all (`max-open`, 64 when not given).
        public var maximumOpen: Int?
        /// Days of event-log exports offered under `LOG/` (`log-days`, 7 when not given; 0: none).
        public var logDays: Int?

        public init() {}
    }

    /// The `redundancy:` section: this gateway is one of a hot-standby pair whose role keepalived sets
    /// (`iec61850-gateway role active|standby`). Without it the gateway is active, as a single one.
    public struct Redundancy: Sendable, Equatable {
        /// This node's name in the event log and `events` (`node`; the host name when not given).
        public var node: String?
        /// The folder of the role the pair's scripts set and of the status the gateway writes for the
        /// health check (`state`; ``RedundancyFiles/defaultDirectory``, the unit's RuntimeDirectory,
        /// when not given: the scripts run outside the unit and find it from the configuration).
        public var stateDirectory: String?
        /// How long a node that became active waits before it drives a serial line the old active may still
        /// hold (`hand-over-ms`, 2000 when not given).
        public var handOverMilliseconds: Int?
        /// Whether a standby accepts associations, for monitoring on its own address
        /// (`standby-associations`, true when not given).
        public var standbyAcceptsAssociations: Bool?
        /// The other node's IPv4 address (`peer: ADDRESS[:PORT]`): the two tell each other over UDP
        /// whether they reach their field, so that a node hands over on a field loss only to a peer that
        /// has its field. nil: a node that reaches none of its field sources hands over regardless.
        public var peerAddress: String?
        /// The pair's virtual address (`virtual-address`, IPv4): a node takes the active role only while
        /// one of its interfaces holds it, so a late or out-of-order notify cannot make a second node active.
        public var virtualAddress: String?
        /// The UDP port of that exchange, the same on both nodes (``PeerBeacon/defaultPort`` when not given).
        public var peerPort: Int?

        public init() {}
    }

    public struct HTTP: Sendable, Equatable {
        /// 8102 when not given.
        public var port: Int?
        /// 127.0.0.1 when not given: this machine only.
        public var bind: String?

        public init(port: Int? = nil, bind: String? = nil) {
            self.port = port
            self.bind = bind
        }
    }

    /// Where the event log and the IEC 61850 logs are kept (the `event-log:` section).
    public struct EventLogSettings: Sendable, Equatable {
        /// The SQLite database (resolved against the configuration file's folder).
        public var path: String?
        /// The most gateway events kept (the oldest go first).
        public var maximumEvents: Int?
        /// The most audit events (commands, associations, security) kept, apart from the others.
        public var maximumAuditEvents: Int?
        /// The most entries kept per IEC 61850 log.
        public var maximumLogEntries: Int?
    }

    public struct ModbusDevice: Sendable, Equatable {
        public enum Transport: Sendable, Equatable {
            case tcp(host: String, port: Int)
            case rtu(device: String, baud: Int, parity: Character, dataBits: Int, stopBits: Int, rs485: Bool)
        }
        public var name: String
        public var transport: Transport
        public var unit: Int = 1
        public var byteOrder: Endianness = .big
        public var wordOrder: Endianness = .big
        /// 0 when the device's documentation counts addresses from 0, 1 when from 1.
        public var addressing: Int = 0
        public var timeoutMilliseconds: Int = 1000
        /// How long to wait before trying a device again after it failed.
        public var retryMilliseconds: Int = 5000
        public var location: Location

        /// The serial port of an RTU device (its units share the line), nil for TCP.
        public var serialPort: String? {
            if case .rtu(let path, _, _, _, _, _) = transport { path } else { nil }
        }
    }

    /// A Modbus source or destination of a point.
    public struct ModbusAddress: Sendable, Equatable {
        public var device: String
        public var table: ModbusTable
        /// As the device documents it (see the device's addressing).
        public var address: Int
        public var type: ModbusDataType
        /// A bit of a register (0…15), read as a boolean.
        public var bit: Int?
        /// Characters, for strings.
        public var length: Int = 0
        /// Per-point overrides of the device's orders.
        public var byteOrder: Endianness?
        public var wordOrder: Endianness?
        /// The write function code, for devices that accept only one kind: 5 or 15 for a coil, 6 or 16 for
        /// registers (6 for one register only). By default a coil is written with 5, one register with 6 and
        /// several with 16.
        public var writeFunction: Int?

        public init(device: String, table: ModbusTable, address: Int, type: ModbusDataType) {
            self.device = device
            self.table = table
            self.address = address
            self.type = type
        }
    }

    /// The MQTT broker the gateway connects to.
    public struct MQTTBroker: Sendable, Equatable {
        public var host: String
        public var port: Int
        /// `mqtts://`: TLS, with the CA (and a client certificate) when given.
        public var tls = false
        public var caFile: String?
        public var certificateFile: String?
        public var keyFile: String?
        public var clientID = "iec61850-gateway"
        public var username: String?
        public var passwordEnvironmentVariable: String?
        public var keepAliveSeconds = 30
        public var cleanSession = true
        /// Retained `online` when connected; the broker publishes the last will `offline` when the gateway vanishes.
        public var statusTopic: String?
        /// Messages larger than this are not read: their points turn invalid (detail inconsistent).
        public var maximumPayloadBytes = 256 * 1024
        public var location: Location

        public init(host: String, port: Int, location: Location) {
            self.host = host
            self.port = port
            self.location = location
        }
    }

    /// An MQTT source of a point: a topic (wildcards allowed) and where the value is in the payload.
    public struct MQTTSource: Sendable, Equatable {
        public var topic: String
        /// A dotted path into a JSON payload (`value`, `data.power`); nil: the payload is the value.
        public var valuePath: String?
        /// Paths to a time (seconds or milliseconds since 1970, or ISO 8601) and a quality (`good`, `invalid`, `questionable`, or true/false).
        public var timePath: String?
        public var qualityPath: String?
        public var qos = 1

        public init(topic: String, valuePath: String? = nil, timePath: String? = nil, qualityPath: String? = nil, qos: Int = 1) {
            self.topic = topic
            self.valuePath = valuePath
            self.timePath = timePath
            self.qualityPath = qualityPath
            self.qos = qos
        }
    }

    /// An MQTT command topic; the command is done when a response with its request id arrives.
    public struct MQTTCommand: Sendable, Equatable {
        public var topic: String
        /// Where the device answers `{"requestId": …, "result": "ok" | "failed", "cause": n}`; nil: the point's status confirms.
        public var responseTopic: String?
        public var qos = 1
    }

    /// Where a control goes and how it is confirmed.
    public struct ControlRoute: Sendable, Equatable {
        public var modbus: ModbusAddress?
        public var mqtt: MQTTCommand?
        /// Commanded value (as text: `true`, `false`, `on`, numbers) to the value written.
        public var valueMap: [String: String] = [:]
        /// Write the value, then after this time write the opposite (a pulse), for coils.
        public var pulseMilliseconds: Int?
        /// The command succeeds when the point's status reaches the commanded value within this time.
        public var confirmMilliseconds: Int = 2000
        /// Destinations of adapters outside the core, by their key, as written.
        public var extensions: [String: ConfigurationValue] = [:]
    }

    /// What a point's quality becomes when its source stops answering.
    public enum FailureQuality: String, Sendable, Equatable {
        /// validity invalid, detail failure
        case invalid
        /// validity questionable, details failure and oldData
        case questionable
    }

    /// A point of the configuration. Sources and routes are boxed: a gateway holds tens of thousands of
    /// points, each with one source and rarely a route, and inline they would triple a point's size.
    public struct Point: Sendable, Equatable {
        /// A data object (`Measurement/MMXU1.TotW`: the value goes to its main attribute) or an attribute.
        public var reference: String
        public var modbus: ModbusAddress? {
            get { boxedModbus?.value }
            set { boxedModbus = newValue.map(Box.init) }
        }
        public var mqtt: MQTTSource? {
            get { boxedMQTT?.value }
            set { boxedMQTT = newValue.map(Box.init) }
        }
        private var boxedModbus: Box<ModbusAddress>?
        private var boxedMQTT: Box<MQTTSource>?
        /// An MQTT point whose topic stays silent this long turns to its failure quality.
        public var staleMilliseconds: Int?
        public var pollMilliseconds: Int = 1000
        public var transform = PointTransform()
        /// A change smaller than this (after scaling) is not an update.
        public var deadband: Double = 0
        public var onFailure: FailureQuality = .invalid
        public var control: ControlRoute? {
            get { boxedControl?.value }
            set { boxedControl = newValue.map(Box.init) }
        }
        private var boxedControl: Box<ControlRoute>?
        /// Sources read by adapters outside the core, by their key (`bus: {channel: 3}`), as written.
        public var extensions: [String: ConfigurationValue] {
            get { boxedExtensions?.value ?? [:] }
            set { boxedExtensions = newValue.isEmpty ? nil : Box(newValue) }
        }
        private var boxedExtensions: Box<[String: ConfigurationValue]>?
        /// Without an SCL file: the common data class of the data object the gateway builds (`MV`, `SPC`…).
        public var cdc: String?
        /// Without an SCL file: the control model of a controllable object (default: direct with normal
        /// security when the point has a control route, status-only otherwise).
        public var controlModel: ControlModel?
        public var location: Location

        public init(reference: String, location: Location) {
            self.reference = reference
            self.location = location
        }
    }

    public var file: String
    /// The SCL file (resolved against the configuration file's folder) and the IED to serve.
    public var scl: String?
    public var ied: String?
    public var server = Server()
    public var eventLog = EventLogSettings()
    /// The HTTP API, page and metrics; off unless the configuration has an `http:` section.
    public var http: HTTP?
    /// The file services; off unless the configuration has a `files:` section.
    public var files: Files?
    /// Hot standby (nil: a single gateway, always active).
    public var redundancy: Redundancy?
    /// The diagnostics logical device (``DiagnosticsDevice``): `diagnostics: true` or `false`; nil
    /// gives it to a model built from the points and not to an SCL model.
    public var diagnostics: Bool?
    public var modbusDevices: [ModbusDevice] = []
    public var mqtt: MQTTBroker?
    public var points: [Point] = []
    /// Top-level sections of adapters outside the core, by their key, in file order (includes append).
    public var extensions: [String: [ConfigurationValue]] = [:]
}
