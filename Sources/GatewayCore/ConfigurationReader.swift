import Foundation
import IEC61850Model
import Yams

/// Reads a gateway configuration from YAML, collecting every problem with its file and line.
public struct ConfigurationReader {
    private var errors: [ConfigurationError] = []
    var file = ""
    /// The files that include this one, outermost first (to refuse include cycles).
    private var includers: [String] = []
    /// The keys adapters outside the core read (``FieldAdapterKind/configurationKeys``): accepted as a
    /// top-level section, a point's source and a control route, and kept as written for the adapter.
    var extensionKeys: Set<String> = []

    /// The largest configuration file read (bytes).
    public static let maximumFileSize = 128 << 20
    /// How deep includes may nest.
    public static let maximumIncludeDepth = 8
    /// The most YAML nodes a file may stand for once its aliases are expanded (a few aliases that repeat
    /// each other can stand for billions).
    public static let maximumExpandedNodes = 5_000_000

    public init() {}

    /// Reads a configuration file and the files it includes; throws ``ConfigurationErrors`` listing
    /// every problem found.
    public static func load(file path: String, extensions: Set<String> = []) throws(ConfigurationErrors) -> GatewayConfiguration {
        var reader = ConfigurationReader()
        reader.extensionKeys = extensions
        let configuration = reader.read(file: path, includedFrom: nil)
        guard reader.errors.isEmpty else { throw ConfigurationErrors(errors: reader.errors) }
        // The YAML trees are gone now; see `compacted()`.
        return configuration.compacted()
    }

    /// Reads YAML text (for tests and tools); `file` names it in messages.
    public static func parse(_ text: String, file: String, extensions: Set<String> = []) throws(ConfigurationErrors) -> GatewayConfiguration {
        var reader = ConfigurationReader()
        reader.extensionKeys = extensions
        var configuration = GatewayConfiguration(file: file)
        reader.file = file
        reader.read(text, into: &configuration, folder: URL(fileURLWithPath: file).deletingLastPathComponent().path)
        guard reader.errors.isEmpty else { throw ConfigurationErrors(errors: reader.errors) }
        return configuration.compacted()
    }

    private mutating func read(file path: String, includedFrom: (String, Int)?) -> GatewayConfiguration {
        var configuration = GatewayConfiguration(file: path)
        file = path
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= Self.maximumFileSize else {
            errors.append(
                ConfigurationError(
                    file: includedFrom?.0 ?? path, line: includedFrom?.1 ?? 0,
                    "\(path) is \(size >> 20) MiB; a configuration may have at most \(Self.maximumFileSize >> 20) MiB"))
            return configuration
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            errors.append(ConfigurationError(file: includedFrom?.0 ?? path, line: includedFrom?.1 ?? 0, "cannot read \(path)"))
            return configuration
        }
        read(text, into: &configuration, folder: URL(fileURLWithPath: path).deletingLastPathComponent().path)
        return configuration
    }

    /// The number of nodes `node` stands for with its aliases expanded, counted up to just past `limit`.
    static func expandedSize(of node: Node, limit: Int) -> Int {
        var count = 0
        var stack = [node]
        while let next = stack.popLast() {
            count += 1
            if count > limit { return count }
            switch next {
            case .scalar, .alias: break
            case .mapping(let mapping):
                for (key, value) in mapping {
                    stack.append(key)
                    stack.append(value)
                }
            case .sequence(let sequence): stack.append(contentsOf: sequence)
            }
        }
        return count
    }

    /// The line of the first alias (`*name`) in YAML text, if any: outside quotes and comments, where a
    /// node starts (a line's start, or after `:`, `-`, `[`, `{`, `,`, `?`).
    static func firstAlias(in text: String) -> Int? {
        let nodeStart: Set<UInt8> = [0x0A, UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: "?")]
        var line = 1
        var previous: UInt8 = 0x0A  // the last character that is not a space, on this line
        var afterSpace = true
        var quote: UInt8?
        var escaped = false
        var inComment = false
        for byte in text.utf8 {
            if byte == 0x0A {
                line += 1
                previous = 0x0A
                afterSpace = true
                inComment = false
                continue
            }
            if inComment { continue }
            if let open = quote {
                if escaped {
                    escaped = false
                } else if open == UInt8(ascii: "\"") && byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == open {
                    quote = nil
                    previous = byte
                }
                continue
            }
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                afterSpace = true
                continue
            case UInt8(ascii: "#") where afterSpace:
                inComment = true
            case UInt8(ascii: "\""),
                UInt8(ascii: "'") where nodeStart.contains(previous):
                quote = byte
            case UInt8(ascii: "*") where nodeStart.contains(previous):
                return line
            default: break
            }
            previous = byte
            afterSpace = false
        }
        return nil
    }

    private mutating func read(_ text: String, into configuration: inout GatewayConfiguration, folder: String) {
        // Composing the YAML tree resolves aliases as it goes, and hashes mapping keys to find duplicates:
        // a few aliases that repeat each other stand for billions of nodes and hang it before anything
        // here could count them. A configuration has no use for aliases, so they are refused up front.
        if let line = Self.firstAlias(in: text) {
            return fail(line, "aliases (*name) are not supported: a few of them can stand for billions of nodes; write the settings out")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text, .basic) else { return fail(1, "the file is empty") }
            root = node
        } catch let error as YamlError {
            return fail(Self.line(of: error), "not valid YAML: \(Self.describe(error))")
        } catch {
            return fail(1, "not valid YAML: \(error)")
        }
        // A second line of defence: without a `*` in the text there is no alias to expand, and walking the
        // tree of a 100,000-point file took a twentieth of the start-up.
        guard !text.utf8.contains(UInt8(ascii: "*")) || Self.expandedSize(of: root, limit: Self.maximumExpandedNodes) <= Self.maximumExpandedNodes else {
            return fail(1, "the file stands for more than \(Self.maximumExpandedNodes) YAML nodes once its aliases (*name) are expanded")
        }
        guard let top = mapping(root, "the configuration") else { return }
        for (key, value) in top {
            switch key {
            case "model":
                guard let model = mapping(value, "model", keys: ["scl", "ied"]) else { continue }
                if let scl = string(model["scl"], "model.scl") { configuration.scl = resolve(scl, folder) }
                configuration.ied = string(model["ied"], "model.ied")
            case "server":
                guard
                    let server = mapping(
                        value, "server",
                        keys: [
                            "port", "bind", "password-env", "max-associations", "max-associations-per-peer", "association-timeout-ms", "event-loops", "tls",
                            "access", "identity",
                        ])
                else { continue }
                configuration.server.port = integer(server["port"], "server.port", in: 0...65535)
                configuration.server.bind = string(server["bind"], "server.bind")
                configuration.server.passwordEnvironmentVariable = string(server["password-env"], "server.password-env")
                configuration.server.maximumAssociations = integer(server["max-associations"], "server.max-associations", in: 1...1000)
                configuration.server.maximumAssociationsPerPeer = integer(
                    server["max-associations-per-peer"], "server.max-associations-per-peer", in: 1...1000)
                configuration.server.eventLoopThreads = integer(server["event-loops"], "server.event-loops", in: 1...64)
                configuration.server.associationTimeoutMilliseconds = integer(
                    server["association-timeout-ms"], "server.association-timeout-ms", in: 100...600_000)
                if let tls = server["tls"] { configuration.server.tls = self.tls(tls, folder: folder) }
                if let access = server["access"] { configuration.server.access = self.access(access) }
                if let identity = server["identity"], let names = mapping(identity, "server.identity", keys: ["vendor", "model", "revision"]) {
                    configuration.server.vendor = string(names["vendor"], "server.identity.vendor")
                    configuration.server.modelName = string(names["model"], "server.identity.model")
                    configuration.server.revision = string(names["revision"], "server.identity.revision")
                }
            case "diagnostics":
                configuration.diagnostics = boolean(value, "diagnostics")
            case "http":
                guard let settings = mapping(value, "http", keys: ["port", "bind"]) else { continue }
                configuration.http = GatewayConfiguration.HTTP(
                    port: integer(settings["port"], "http.port", in: 0...65535), bind: string(settings["bind"], "http.bind"))
            case "files":
                guard let settings = mapping(value, "files", keys: ["root", "delete", "write", "max-open-per-association", "max-open", "log-days"]) else {
                    continue
                }
                var files = GatewayConfiguration.Files()
                if let root = string(settings["root"], "files.root") {
                    files.root = resolve(root, folder)
                    var isFolder: ObjCBool = false
                    if !FileManager.default.fileExists(atPath: resolve(root, folder), isDirectory: &isFolder) || !isFolder.boolValue {
                        fail(line(settings["root"]), "files.root: no folder at \(resolve(root, folder))")
                    }
                }
                files.allowsDelete = boolean(settings["delete"], "files.delete") ?? false
                files.allowsWrite = boolean(settings["write"], "files.write") ?? false
                files.maximumOpenPerAssociation = integer(settings["max-open-per-association"], "files.max-open-per-association", in: 1...100)
                files.maximumOpen = integer(settings["max-open"], "files.max-open", in: 1...10_000)
                files.logDays = integer(settings["log-days"], "files.log-days", in: 0...366)
                configuration.files = files
            case "redundancy":
                guard
                    let settings = mapping(
                        value, "redundancy",
                        keys: [
                            "node", "state", "hand-over-ms", "standby-associations", "peer", "virtual-address",
                        ])
                else {
                    continue
                }
                var redundancy = GatewayConfiguration.Redundancy()
                redundancy.node = string(settings["node"], "redundancy.node")
                redundancy.stateDirectory = string(settings["state"], "redundancy.state").map { resolve($0, folder) }
                redundancy.handOverMilliseconds = integer(settings["hand-over-ms"], "redundancy.hand-over-ms", in: 0...600_000)
                redundancy.standbyAcceptsAssociations = boolean(settings["standby-associations"], "redundancy.standby-associations")
                if let address = string(settings["virtual-address"], "redundancy.virtual-address") {
                    var parsed = in_addr()
                    // keepalived's form (with the prefix length) is taken too.
                    let host = String(address.split(separator: "/").first ?? "")
                    if inet_pton(AF_INET, host, &parsed) == 1 {
                        redundancy.virtualAddress = host
                    } else {
                        fail(line(settings["virtual-address"]), "redundancy.virtual-address must be the pair's IPv4 address, not '\(address)'")
                    }
                }
                if let peer = string(settings["peer"], "redundancy.peer") {
                    let parts = peer.split(separator: ":", omittingEmptySubsequences: false)
                    var address = in_addr()
                    if parts.count <= 2, inet_pton(AF_INET, String(parts[0]), &address) == 1,
                        parts.count == 1 || UInt16(parts[1]).map({ $0 > 0 }) == true
                    {
                        redundancy.peerAddress = String(parts[0])
                        redundancy.peerPort = parts.count == 2 ? Int(parts[1]) : nil
                    } else {
                        fail(line(settings["peer"]), "redundancy.peer must be the other node's IPv4 address, with :PORT if not 8103, not '\(peer)'")
                    }
                }
                configuration.redundancy = redundancy
            case "event-log":
                guard let settings = mapping(value, "event-log", keys: ["path", "max-events", "max-audit-events", "max-log-entries"]) else { continue }
                if let path = string(settings["path"], "event-log.path") { configuration.eventLog.path = resolve(path, folder) }
                configuration.eventLog.maximumEvents = integer(settings["max-events"], "event-log.max-events", in: 1...100_000_000)
                configuration.eventLog.maximumAuditEvents = integer(
                    settings["max-audit-events"], "event-log.max-audit-events", in: 1...100_000_000)
                configuration.eventLog.maximumLogEntries = integer(settings["max-log-entries"], "event-log.max-log-entries", in: 1...100_000_000)
            case "modbus":
                for device in sequence(value, "modbus") { if let parsed = modbusDevice(device) { configuration.modbusDevices.append(parsed) } }
            case "mqtt":
                configuration.mqtt = broker(value, folder: folder)
            case "points":
                for point in sequence(value, "points") { if let parsed = self.point(point) { configuration.points.append(parsed) } }
            case "include":
                for item in sequence(value, "include") {
                    guard let name = string(item, "include") else { continue }
                    let path = resolve(name, folder)
                    let chain = includers + [file]
                    let canonical = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
                    if chain.contains(where: { URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath().path == canonical }) {
                        fail(line(item), "include cycle: \((chain + [path]).joined(separator: " includes "))")
                        continue
                    }
                    guard chain.count < Self.maximumIncludeDepth else {
                        fail(line(item), "includes nest deeper than \(Self.maximumIncludeDepth) files")
                        continue
                    }
                    var nested = ConfigurationReader()
                    nested.includers = chain
                    nested.extensionKeys = extensionKeys
                    let included = nested.read(file: path, includedFrom: (file, line(item)))
                    errors += nested.errors
                    configuration.modbusDevices += included.modbusDevices
                    configuration.points += included.points
                    configuration.extensions.merge(included.extensions) { $0 + $1 }
                }
            case let key where extensionKeys.contains(key):
                configuration.extensions[key, default: []].append(Self.value(value))
            default:
                fail(
                    line(value),
                    "unknown section '\(key)' (expected model, server, http, diagnostics, event-log, files, redundancy, modbus, mqtt, points, include)")
            }
        }
    }

    /// A YAML node as written, with its lines, for an adapter outside the core.
    static func value(_ node: Node) -> ConfigurationValue {
        let line = node.mark?.line ?? 0
        switch node {
        case .scalar(let scalar): return ConfigurationValue(.scalar(scalar.string), line: line)
        case .sequence(let sequence): return ConfigurationValue(.sequence(sequence.map(value)), line: line)
        case .mapping(let mapping):
            return ConfigurationValue(
                .mapping(mapping.map { ConfigurationValue.Entry(key: $0.key.string ?? "", value: value($0.value)) }), line: line)
        case .alias: return ConfigurationValue(.scalar(""), line: line)  // refused before the tree is built
        }
    }

    // MARK: Devices and points

    private mutating func modbusDevice(_ node: Node) -> GatewayConfiguration.ModbusDevice? {
        let keys: Set = ["name", "tcp", "rtu", "unit", "byte-order", "word-order", "addressing", "timeout-ms", "retry-ms"]
        guard let map = mapping(node, "a Modbus device", keys: keys) else { return nil }
        guard let name = string(map["name"], "name", requiredIn: node) else { return nil }
        let location = GatewayConfiguration.Location(file: file, line: line(node))
        var transport: GatewayConfiguration.ModbusDevice.Transport?
        if let tcp = string(map["tcp"], "tcp") {
            let parts = tcp.split(separator: ":")
            if parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) {
                transport = .tcp(host: String(parts[0]), port: port)
            } else if parts.count == 1 {
                transport = .tcp(host: tcp, port: 502)
            } else {
                fail(line(map["tcp"]), subject: "device \(name)", "tcp must be HOST or HOST:PORT, not '\(tcp)'")
            }
        } else if let rtuNode = map["rtu"] {
            guard let rtu = mapping(rtuNode, "rtu", keys: ["device", "baud", "parity", "data-bits", "stop-bits", "rs485"]) else { return nil }
            let parity = string(rtu["parity"], "rtu.parity") ?? "none"
            guard let path = string(rtu["device"], "rtu.device", requiredIn: rtuNode), let code = ["none": Character("N"), "even": "E", "odd": "O"][parity]
            else {
                fail(line(rtuNode), subject: "device \(name)", "rtu needs a device and parity none, even or odd")
                return nil
            }
            transport = .rtu(
                device: path, baud: integer(rtu["baud"], "rtu.baud", in: 300...4_000_000) ?? 9600, parity: code,
                dataBits: integer(rtu["data-bits"], "rtu.data-bits", in: 5...8) ?? 8, stopBits: integer(rtu["stop-bits"], "rtu.stop-bits", in: 1...2) ?? 1,
                rs485: boolean(rtu["rs485"], "rtu.rs485") ?? false)
        } else {
            fail(line(node), subject: "device \(name)", "needs tcp: HOST:PORT or rtu: {device: …}")
        }
        guard let transport else { return nil }
        var device = GatewayConfiguration.ModbusDevice(name: name, transport: transport, location: location)
        device.unit = integer(map["unit"], "unit", in: 0...255) ?? 1
        device.byteOrder = endianness(map["byte-order"], "byte-order") ?? .big
        device.wordOrder = endianness(map["word-order"], "word-order") ?? .big
        device.addressing = integer(map["addressing"], "addressing", in: 0...1) ?? 0
        device.timeoutMilliseconds = integer(map["timeout-ms"], "timeout-ms", in: 10...60_000) ?? 1000
        device.retryMilliseconds = integer(map["retry-ms"], "retry-ms", in: 0...3_600_000) ?? 5000
        return device
    }

    /// The settings of a point, of its control route and of a Modbus address (sets made once: a plant has
    /// tens of thousands of points).
    private static let pointKeys: Set = [
        "ref", "modbus", "mqtt", "stale-ms", "poll-ms", "scale", "offset", "invert", "map", "deadband", "on-failure", "control", "cdc", "ctl-model",
    ]
    private static let controlKeys: Set = ["modbus", "mqtt", "map", "pulse-ms", "confirm-ms"]
    private static let modbusKeys: Set = ["device", "table", "address", "type", "bit", "length", "byte-order", "word-order", "function"]

    private mutating func point(_ node: Node) -> GatewayConfiguration.Point? {
        let keys = extensionKeys.isEmpty ? Self.pointKeys : Self.pointKeys.union(extensionKeys)
        guard let map = mapping(node, "a point", keys: keys), let reference = string(map["ref"], "ref", requiredIn: node) else {
            return nil
        }
        let subject = "point \(reference)"
        var point = GatewayConfiguration.Point(reference: reference, location: GatewayConfiguration.Location(file: file, line: line(node)))
        if let source = map["modbus"] { point.modbus = modbusAddress(source, subject: subject) }
        if let source = map["mqtt"] { point.mqtt = mqttSource(source) }
        for key in extensionKeys { if let source = map[key] { point.extensions[key] = Self.value(source) } }
        let sources = (["modbus", "mqtt"] + extensionKeys.sorted()).filter { map[$0] != nil }
        if sources.isEmpty {
            fail(line(node), subject: subject, "needs a source (modbus: {device, table, address, type} or mqtt: {topic})")
        } else if sources.count > 1 {
            fail(line(node), subject: subject, "has two sources (\(sources.joined(separator: " and "))); a point has one")
        }
        point.staleMilliseconds = integer(map["stale-ms"], "stale-ms", in: 100...86_400_000)
        point.cdc = string(map["cdc"], "cdc")?.uppercased()
        if let name = string(map["ctl-model"], "ctl-model") {
            let names: [String: ControlModel] = [
                "status-only": .statusOnly, "direct-with-normal-security": .directWithNormalSecurity, "sbo-with-normal-security": .sboWithNormalSecurity,
                "direct-with-enhanced-security": .directWithEnhancedSecurity, "sbo-with-enhanced-security": .sboWithEnhancedSecurity,
            ]
            if let model = names[name] {
                point.controlModel = model
            } else {
                fail(line(map["ctl-model"]), subject: subject, "ctl-model must be one of \(names.keys.sorted().joined(separator: ", ")), not '\(name)'")
            }
        }
        point.pollMilliseconds = integer(map["poll-ms"], "poll-ms", in: 10...86_400_000) ?? 1000
        point.transform.scale = number(map["scale"], "scale") ?? 1
        point.transform.offset = number(map["offset"], "offset") ?? 0
        point.transform.invert = boolean(map["invert"], "invert") ?? false
        point.transform.valueMap = valueMap(map["map"], subject: subject)
        point.deadband = number(map["deadband"], "deadband") ?? 0
        if let failure = string(map["on-failure"], "on-failure") {
            if let quality = GatewayConfiguration.FailureQuality(rawValue: failure) {
                point.onFailure = quality
            } else {
                fail(line(map["on-failure"]), subject: subject, "on-failure must be invalid or questionable, not '\(failure)'")
            }
        }
        if let controlNode = map["control"],
            let control = mapping(controlNode, "control", keys: extensionKeys.isEmpty ? Self.controlKeys : Self.controlKeys.union(extensionKeys))
        {
            var route = GatewayConfiguration.ControlRoute()
            if let destination = control["modbus"] { route.modbus = modbusAddress(destination, subject: subject) }
            if let destination = control["mqtt"], let command = mapping(destination, "control.mqtt", keys: ["topic", "response", "qos"]),
                let topic = string(command["topic"], "control.mqtt.topic", requiredIn: destination)
            {
                route.mqtt = GatewayConfiguration.MQTTCommand(
                    topic: topic, responseTopic: string(command["response"], "control.mqtt.response"), qos: integer(command["qos"], "qos", in: 0...2) ?? 1)
            }
            for key in extensionKeys { if let destination = control[key] { route.extensions[key] = Self.value(destination) } }
            if control["modbus"] == nil && control["mqtt"] == nil && route.extensions.isEmpty {
                fail(line(node), subject: subject, "control has no route: add modbus: {device, table, address} or mqtt: {topic}")
            }
            route.valueMap = valueMap(control["map"], subject: subject)
            route.pulseMilliseconds = integer(control["pulse-ms"], "pulse-ms", in: 1...60_000)
            route.confirmMilliseconds = integer(control["confirm-ms"], "confirm-ms", in: 0...600_000) ?? 2000
            point.control = route
        }
        return point
    }

    private mutating func modbusAddress(_ node: Node, subject: String) -> GatewayConfiguration.ModbusAddress? {
        guard let map = mapping(node, "modbus", keys: Self.modbusKeys) else { return nil }
        guard let device = string(map["device"], "modbus.device", requiredIn: node), let tableName = string(map["table"], "modbus.table", requiredIn: node),
            let address = integer(map["address"], "modbus.address", in: 0...65536, requiredIn: node)
        else { return nil }
        guard let table = ModbusTable(rawValue: tableName) else {
            fail(line(map["table"]), subject: subject, "table must be coil, discrete-input, holding or input, not '\(tableName)'")
            return nil
        }
        var type = ModbusDataType.bool
        if let typeName = string(map["type"], "modbus.type") {
            guard let parsed = ModbusDataType(rawValue: typeName) else {
                let names = ModbusDataType.allCases.map(\.rawValue).joined(separator: ", ")
                fail(line(map["type"]), subject: subject, "type must be one of \(names), not '\(typeName)'")
                return nil
            }
            type = parsed
        } else if !table.isBits {
            type = .uint16
        }
        var result = GatewayConfiguration.ModbusAddress(device: device, table: table, address: address, type: type)
        result.bit = integer(map["bit"], "modbus.bit", in: 0...15)
        result.length = integer(map["length"], "modbus.length", in: 1...250) ?? 0
        result.byteOrder = endianness(map["byte-order"], "modbus.byte-order")
        result.wordOrder = endianness(map["word-order"], "modbus.word-order")
        result.writeFunction = integer(map["function"], "modbus.function", in: 5...16)
        return result
    }

    private mutating func broker(_ node: Node, folder: String) -> GatewayConfiguration.MQTTBroker? {
        let keys: Set = ["url", "client-id", "username", "password-env", "keep-alive", "clean-session", "status-topic", "ca", "cert", "key", "max-payload"]
        guard let map = mapping(node, "mqtt", keys: keys), let url = string(map["url"], "mqtt.url", requiredIn: node) else { return nil }
        guard let parsed = URLComponents(string: url), let scheme = parsed.scheme, ["mqtt", "mqtts", "tcp", "ssl"].contains(scheme),
            let host = parsed.host, !host.isEmpty
        else {
            fail(line(map["url"]), "mqtt.url must be mqtt://HOST[:PORT] or mqtts://HOST[:PORT], not '\(url)'")
            return nil
        }
        let tls = scheme == "mqtts" || scheme == "ssl"
        var broker = GatewayConfiguration.MQTTBroker(
            host: host, port: parsed.port ?? (tls ? 8883 : 1883), location: GatewayConfiguration.Location(file: file, line: line(node)))
        broker.tls = tls
        // Files are relative to the configuration file, as the model is.
        broker.caFile = string(map["ca"], "mqtt.ca").map { resolve($0, folder) }
        broker.certificateFile = string(map["cert"], "mqtt.cert").map { resolve($0, folder) }
        broker.keyFile = string(map["key"], "mqtt.key").map { resolve($0, folder) }
        broker.clientID = string(map["client-id"], "mqtt.client-id") ?? broker.clientID
        broker.username = string(map["username"], "mqtt.username")
        broker.passwordEnvironmentVariable = string(map["password-env"], "mqtt.password-env")
        broker.keepAliveSeconds = integer(map["keep-alive"], "mqtt.keep-alive", in: 5...3600) ?? 30
        broker.cleanSession = boolean(map["clean-session"], "mqtt.clean-session") ?? true
        broker.statusTopic = string(map["status-topic"], "mqtt.status-topic")
        broker.maximumPayloadBytes = integer(map["max-payload"], "mqtt.max-payload", in: 16...268_435_455) ?? broker.maximumPayloadBytes
        return broker
    }

    private mutating func mqttSource(_ node: Node) -> GatewayConfiguration.MQTTSource? {
        guard let map = mapping(node, "mqtt", keys: ["topic", "value", "time", "quality", "qos"]),
            let topic = string(map["topic"], "mqtt.topic", requiredIn: node)
        else { return nil }
        return GatewayConfiguration.MQTTSource(
            topic: topic, valuePath: string(map["value"], "mqtt.value"), timePath: string(map["time"], "mqtt.time"),
            qualityPath: string(map["quality"], "mqtt.quality"), qos: integer(map["qos"], "mqtt.qos", in: 0...2) ?? 1)
    }

    private mutating func valueMap(_ node: Node?, subject: String) -> [String: String] {
        guard let node else { return [:] }
        guard case .mapping(let map) = node else {
            fail(line(node), subject: subject, "map must be a mapping such as {0: off, 1: on}")
            return [:]
        }
        var result: [String: String] = [:]
        for (key, value) in map {
            guard let from = key.string, let to = value.string else { continue }
            result[from] = to
        }
        return result
    }

    // MARK: Typed values

    mutating func fail(_ line: Int, subject: String? = nil, _ message: String) {
        errors.append(ConfigurationError(file: file, line: line, subject: subject, message))
    }

    func line(_ node: Node?) -> Int { node?.mark?.line ?? 0 }

    func resolve(_ path: String, _ folder: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: folder).appendingPathComponent(path).standardizedFileURL.path
    }

    /// The entries of a mapping; unknown keys are errors when `keys` is given.
    mutating func mapping(_ node: Node, _ what: String, keys: Set<String>? = nil) -> [(String, Node)]? {
        guard case .mapping(let map) = node else {
            fail(line(node), "\(what) must be a mapping (key: value lines)")
            return nil
        }
        var entries: [(String, Node)] = []
        for (key, value) in map {
            let name = key.string ?? ""
            if let keys, !keys.contains(name) {
                fail(line(key), "unknown setting '\(name)' in \(what) (expected \(keys.sorted().joined(separator: ", ")))")
                continue
            }
            entries.append((name, value))
        }
        return entries
    }

    mutating func sequence(_ node: Node, _ what: String) -> [Node] {
        guard case .sequence(let items) = node else {
            fail(line(node), "\(what) must be a list (lines starting with '- ')")
            return []
        }
        return Array(items)
    }

    /// A text value; `requiredIn` names the mapping that must have it (its absence is then an error).
    mutating func string(_ node: Node?, _ what: String, requiredIn parent: Node? = nil) -> String? {
        guard let node else {
            if let parent { fail(line(parent), "\(what) is missing") }
            return nil
        }
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
            fail(line(node), "\(what) must be a text value")
            return nil
        }
        return scalar.string
    }

    mutating func integer(_ node: Node?, _ what: String, in range: ClosedRange<Int>, requiredIn parent: Node? = nil) -> Int? {
        guard let node else {
            if let parent { fail(line(parent), "\(what) is missing") }
            return nil
        }
        guard let text = node.string, let value = Int(text), range.contains(value) else {
            fail(line(node), "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(node.string ?? "…")'")
            return nil
        }
        return value
    }

    private mutating func number(_ node: Node?, _ what: String) -> Double? {
        guard let node else { return nil }
        guard let text = node.string, let value = Double(text), value.isFinite else {
            fail(line(node), "\(what) must be a number, not '\(node.string ?? "…")'")
            return nil
        }
        return value
    }

    mutating func boolean(_ node: Node?, _ what: String) -> Bool? {
        guard let node else { return nil }
        switch node.string?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            fail(line(node), "\(what) must be true or false, not '\(node.string ?? "…")'")
            return nil
        }
    }

    private mutating func endianness(_ node: Node?, _ what: String) -> Endianness? {
        guard let node else { return nil }
        guard let text = node.string, let value = Endianness(rawValue: text) else {
            fail(line(node), "\(what) must be big or little, not '\(node.string ?? "…")'")
            return nil
        }
        return value
    }

    private static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: 1
        }
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        default: "\(error)"
        }
    }
}

extension Array where Element == (String, Node) {
    subscript(key: String) -> Node? { first { $0.0 == key }?.1 }
}
