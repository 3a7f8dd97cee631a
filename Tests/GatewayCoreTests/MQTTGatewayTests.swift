import Foundation
import IEC61850Model
import IEC61850Server
import Logging
import MQTTAdapter
import Synchronization
import Testing

@testable import GatewayCore

/// A mosquitto broker of the test's own on a free loopback port (Debian's mosquitto).
final class Broker {
    let port: Int
    private var process: Process?
    private let folder: URL

    /// With TLS: the broker's certificate and a client's, signed by a CA of the test's own.
    struct Credentials {
        let ca: String
        let clientCertificate: String
        let clientKey: String
    }
    private(set) var credentials: Credentials?

    /// `secured`: TLS only, with a client certificate and the password `user`/`secret` required.
    init(secured: Bool = false) throws {
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        close(socket)
        port = Int(UInt16(bigEndian: address.sin_port))
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("broker-\(port)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var settings = "listener \(port) 127.0.0.1\npersistence false\n"
        if secured {
            try Self.shell(
                """
                set -e
                openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=test-ca -keyout ca.key -out ca.crt
                for who in server client; do
                  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=$who -keyout $who.key -out $who.csr
                  printf 'subjectAltName=IP:127.0.0.1\n' > $who.ext
                  openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile $who.ext -out $who.crt
                done
                mosquitto_passwd -b -c passwords user secret
                chmod 0700 passwords
                """, in: folder)
            // Run as root, mosquitto would drop to its own user, which cannot read the test's files.
            settings +=
                "user root\nallow_anonymous false\npassword_file passwords\ncafile ca.crt\ncertfile server.crt\nkeyfile server.key\nrequire_certificate true\n"
            credentials = Credentials(
                ca: folder.appendingPathComponent("ca.crt").path, clientCertificate: folder.appendingPathComponent("client.crt").path,
                clientKey: folder.appendingPathComponent("client.key").path)
        } else {
            settings += "allow_anonymous true\n"
        }
        try settings.write(to: folder.appendingPathComponent("mosquitto.conf"), atomically: true, encoding: .utf8)
        try start()
    }

    private static func shell(_ script: String, in folder: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    func start() throws {
        let process = Process()
        process.currentDirectoryURL = folder
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/mosquitto")
        process.arguments = ["-c", folder.appendingPathComponent("mosquitto.conf").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<100 {  // until it accepts connections
            let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(probe)
            if connected == 0 { return }
            usleep(20_000)
        }
    }

    /// Kills the broker (SIGKILL: a child of the test runner may inherit a blocked SIGTERM).
    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: folder)
    }
}

@Suite("MQTT to the model, with a real mosquitto broker on loopback", .timeLimit(.minutes(1)))
struct MQTTGatewayTests {
    static func setUp(_ broker: Broker, points: String) throws -> (IedServer, [PointBinding], GatewayRuntime, MQTTAdapter) {
        try setUp(
            ConfigurationReader.parse(
                """
                mqtt:
                  url: mqtt://127.0.0.1:\(broker.port)
                  client-id: gateway-test
                  status-topic: gateway/status
                points:
                \(points)
                """, file: "mqtt.yaml"))
    }

    /// The demo model served (not listening), a runtime over the configuration's points, and its started adapter.
    static func setUp(_ configuration: GatewayConfiguration) throws -> (IedServer, [PointBinding], GatewayRuntime, MQTTAdapter) {
        let model = try SCLLoader().load(file: ConfigurationTests.root.appendingPathComponent("mappings/demo/demo.icd").path)
        let server = IedServer(model: model)
        let bindings = try ConfigurationValidator.bind(configuration, to: model)
        let runtime = GatewayRuntime(bindings: bindings, services: server.services, logger: Logger(label: "test"))
        let adapter = try MQTTAdapter(broker: try #require(configuration.mqtt), points: configuration.points, logger: Logger(label: "test")) {
            runtime.apply($0)
        }
        try adapter.start()
        return (server, bindings, runtime, adapter)
    }

    static func publisher(_ broker: Broker, id: String = "publisher") throws -> MQTTClient {
        let client = try MQTTClient(
            broker: GatewayConfiguration.MQTTBroker(host: "127.0.0.1", port: broker.port, location: .init(file: "", line: 0)), clientID: id,
            logger: Logger(label: "test"))
        try client.start()
        return client
    }

    @Test("JSON and plain payloads reach the model; a lost broker turns the points invalid; they recover")
    func values() async throws {
        let broker = try Broker()
        let (server, _, _, adapter) = try Self.setUp(
            broker,
            points: """
                  - ref: Measurement/MMXU1.TotW
                    mqtt: {topic: plant/meter, value: data.power, time: ts}
                    scale: 1000
                  - ref: GenericIO/GGIO1.Ind1
                    mqtt: {topic: plant/door/+}
                """)
        defer { adapter.stop() }
        let publisher = try Self.publisher(broker)
        defer { publisher.stop() }
        #expect(try await ModbusGatewayTests.eventually { adapter.client.isConnected && publisher.isConnected })
        let power = try server.handle(for: "Measurement/MMXU1.TotW.mag.f")
        let quality = try server.handle(for: "Measurement/MMXU1.TotW.q")
        #expect(
            try await ModbusGatewayTests.eventually {
                publisher.publish("plant/meter", Array(#"{"data": {"power": 1.25}, "ts": 1700000000}"#.utf8))
                return server.value(of: power) == .float32(1250)
            })
        #expect(server.value(of: try server.handle(for: "Measurement/MMXU1.TotW.t")) == .timestamp(Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)))
        #expect(server.value(of: quality) == .quality(.good))
        publisher.publish("plant/door/east", Array("true".utf8))
        #expect(try await ModbusGatewayTests.eventually { server.value(of: try server.handle(for: "GenericIO/GGIO1.Ind1.stVal")) == .boolean(true) })

        broker.stop()
        var failed = Quality(validity: .invalid)
        failed.insert(.failure)
        #expect(try await ModbusGatewayTests.eventually { server.value(of: quality) == .quality(failed) })
        try broker.start()
        #expect(
            try await ModbusGatewayTests.eventually {
                publisher.publish("plant/meter", Array(#"{"data": {"power": 2}}"#.utf8))
                return server.value(of: quality) == .quality(.good) && server.value(of: power) == .float32(2000)
            })
    }

    @Test("over TLS with a client certificate and a password: values arrive; a wrong password never connects")
    func secured() async throws {
        let broker = try Broker(secured: true)
        let credentials = try #require(broker.credentials)
        setenv("MQTT_TEST_PASSWORD", "secret", 1)
        setenv("MQTT_TEST_WRONG", "guess", 1)
        func configuration(passwordVariable: String) throws -> GatewayConfiguration {
            try ConfigurationReader.parse(
                """
                mqtt:
                  url: mqtts://127.0.0.1:\(broker.port)
                  client-id: gateway-\(passwordVariable)
                  username: user
                  password-env: \(passwordVariable)
                  ca: \(credentials.ca)
                  cert: \(credentials.clientCertificate)
                  key: \(credentials.clientKey)
                points:
                  - ref: Measurement/MMXU1.Hz
                    mqtt: {topic: plant/hz}
                """, file: "tls.yaml")
        }
        let good = try configuration(passwordVariable: "MQTT_TEST_PASSWORD")
        let (server, _, _, adapter) = try Self.setUp(good)
        defer { adapter.stop() }
        var intruderBroker = try #require(try configuration(passwordVariable: "MQTT_TEST_WRONG").mqtt)
        intruderBroker.clientID = "intruder"
        let intruder = try MQTTClient(broker: intruderBroker, logger: Logger(label: "test"))
        try intruder.start()
        defer { intruder.stop() }
        var publisherBroker = try #require(good.mqtt)
        publisherBroker.clientID = "publisher"
        let publisher = try MQTTClient(broker: publisherBroker, logger: Logger(label: "test"))
        try publisher.start()
        defer { publisher.stop() }

        #expect(try await ModbusGatewayTests.eventually { adapter.client.isConnected && publisher.isConnected })
        let frequency = try server.handle(for: "Measurement/MMXU1.Hz.mag.f")
        #expect(
            try await ModbusGatewayTests.eventually {
                publisher.publish("plant/hz", Array("49.98".utf8))
                return server.value(of: frequency) == .float32(49.98)
            })
        #expect(!intruder.isConnected)
    }

    @Test("a topic silent past stale-ms turns invalid")
    func stale() async throws {
        let broker = try Broker()
        let (server, _, _, adapter) = try Self.setUp(broker, points: "  - ref: Measurement/MMXU1.Hz\n    mqtt: {topic: plant/hz}\n    stale-ms: 300\n")
        defer { adapter.stop() }
        let publisher = try Self.publisher(broker)
        defer { publisher.stop() }
        let quality = try server.handle(for: "Measurement/MMXU1.Hz.q")
        let frequency = try server.handle(for: "Measurement/MMXU1.Hz.mag.f")
        #expect(try await ModbusGatewayTests.eventually { adapter.client.isConnected && publisher.isConnected })
        #expect(
            try await ModbusGatewayTests.eventually {
                publisher.publish("plant/hz", Array("50.01".utf8))
                // Checked together: on a loaded machine 300 ms may pass between two checks.
                return server.value(of: frequency) == .float32(50.01) && server.value(of: quality) == .quality(.good)
            })
        #expect(try await ModbusGatewayTests.eventually { server.value(of: quality) != .quality(.good) })  // silent past 300 ms
        var stale = Quality(validity: .invalid)
        stale.insert(.failure)
        #expect(server.value(of: quality) == .quality(stale))
    }

    @Test("a retained payload with a time no UtcTime holds, and one over max-payload, turn the point invalid; the gateway keeps going")
    func hostilePayloads() async throws {
        let broker = try Broker()
        let publisher = try Self.publisher(broker)
        defer { publisher.stop() }
        #expect(try await ModbusGatewayTests.eventually { publisher.isConnected })
        // Retained before the gateway starts: it arrives again on every (re)start.
        publisher.publish("plant/meter", Array(#"{"power": 5, "ts": 1e300}"#.utf8), retain: true)
        try await Task.sleep(for: .milliseconds(200))
        let (server, _, _, adapter) = try Self.setUp(
            ConfigurationReader.parse(
                """
                mqtt:
                  url: mqtt://127.0.0.1:\(broker.port)
                  client-id: gateway-hostile
                  max-payload: 1024
                points:
                  - ref: Measurement/MMXU1.TotW
                    mqtt: {topic: plant/meter, value: power, time: ts}
                """, file: "mqtt.yaml"))
        defer { adapter.stop() }
        let quality = try server.handle(for: "Measurement/MMXU1.TotW.q")
        let power = try server.handle(for: "Measurement/MMXU1.TotW.mag.f")
        var inconsistent = Quality(validity: .invalid)
        inconsistent.insert(.inconsistent)
        #expect(try await ModbusGatewayTests.eventually { server.value(of: quality) == .quality(inconsistent) })
        #expect(
            try await ModbusGatewayTests.eventually {
                publisher.publish("plant/meter", Array(#"{"power": 7, "ts": 1700000000}"#.utf8))
                return server.value(of: quality) == .quality(.good) && server.value(of: power) == .float32(7)
            })
        // 2 KiB over a 1 KiB limit: not read, the point turns invalid, the last good value stays.
        publisher.publish("plant/meter", Array(#"{"power": 9, "pad": "\#(String(repeating: "x", count: 2048))"}"#.utf8))
        #expect(try await ModbusGatewayTests.eventually { server.value(of: quality) == .quality(inconsistent) })
        #expect(server.value(of: power) == .float32(7))
        publisher.publish("plant/meter", Array("".utf8), retain: true)  // clears the retained message
    }

    @Test("a control goes to the command topic as JSON and completes with the device's answer of the same request id")
    func commands() async throws {
        let broker = try Broker()
        let (_, bindings, runtime, adapter) = try Self.setUp(
            broker,
            points: """
                  - ref: GenericIO/GGIO1.SPCSO1
                    mqtt: {topic: plant/relay/state}
                    control:
                      mqtt: {topic: plant/relay/set, response: plant/relay/result}
                      confirm-ms: 2000
                """)
        defer { adapter.stop() }
        // The device: answers every command with its request id; refuses value false.
        let device = try Self.publisher(broker, id: "device")
        defer { device.stop() }
        let seen = Mutex<[String]>([])
        device.onMessage = { _, payload in
            let text = String(decoding: payload, as: UTF8.self)
            seen.withLock { $0.append(text) }
            guard let range = text.range(of: #""requestId":""#), let end = text[range.upperBound...].firstIndex(of: "\"") else { return }
            let id = text[range.upperBound..<end]
            let answer = text.contains(#""value":true"#) ? #"{"requestId":"\#(id)","result":"ok"}"# : #"{"requestId":"\#(id)","result":"failed","cause":10}"#
            device.publish("plant/relay/result", Array(answer.utf8))
        }
        device.subscribe("plant/relay/set", qos: 1)
        #expect(try await ModbusGatewayTests.eventually { adapter.client.isConnected && device.isConnected })
        try await Task.sleep(for: .milliseconds(100))
        let route = try #require(bindings[0].point.control?.mqtt)
        let ok = await adapter.command(
            route, action: ControlAction(object: "GenericIO/GGIO1.SPCSO1", value: .boolean(true), controlNumber: 7), timeout: .seconds(2))
        #expect(ok.map { if case .success = $0 { true } else { false } } == true)
        let refused = await adapter.command(route, action: ControlAction(object: "GenericIO/GGIO1.SPCSO1", value: .boolean(false)), timeout: .seconds(2))
        #expect(refused?.causeForTest == .blockedByInterlocking)
        let command = try #require(seen.withLock { $0.first })
        #expect(command.contains(#""reference":"GenericIO/GGIO1.SPCSO1""#) && command.contains(#""ctlNum":7"#) && command.contains(#""test":false"#))
        _ = runtime
    }
}
