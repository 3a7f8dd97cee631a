import Foundation
import GatewayCore
import Logging
import MQTTAdapter

#if canImport(Glibc)
    import Glibc
#endif

/// MQTT publish → IEC 61850 report at the client: a mosquitto broker of its own, the gateway mapping one
/// topic to an INT64 attribute, and a publisher sending the monotonic time in nanoseconds as the value.
enum MQTTReportBenchmark {
    static func run(gateway: String, root: String, clients: Int, rate: Int, messages: Int) throws -> ReportBenchmark.Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mqtt-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let brokerPort = ServerProcess.freePort()
        try "listener \(brokerPort) 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n".write(
            to: folder.appendingPathComponent("mosquitto.conf"), atomically: true, encoding: .utf8)
        let broker = Process()
        broker.executableURL = URL(fileURLWithPath: "/usr/sbin/mosquitto")
        broker.arguments = ["-c", folder.appendingPathComponent("mosquitto.conf").path]
        broker.standardError = FileHandle.nullDevice
        try broker.run()
        defer { kill(broker.processIdentifier, SIGKILL) }
        usleep(300_000)
        try """
        model: {scl: \(root)/mappings/demo/demo.icd}
        mqtt: {url: "mqtt://127.0.0.1:\(brokerPort)", client-id: bench-gateway}
        points:
          - ref: GenericIO/GGIO2.AllTypes.int64Mx
            mqtt: {topic: bench/time, value: t, qos: 0}
        """.write(to: folder.appendingPathComponent("bench.yaml"), atomically: true, encoding: .utf8)
        let port = ServerProcess.freePort()
        let server = try ServerProcess(
            name: "gateway", executable: gateway,
            arguments: [
                "run", "--config", folder.appendingPathComponent("bench.yaml").path, "--port", "\(port)", "--bind", "127.0.0.1", "--log-level", "warning",
            ],
            port: port)
        defer { server.stop() }
        let publisher = try MQTTClient(
            broker: GatewayConfiguration.MQTTBroker(host: "127.0.0.1", port: brokerPort, location: .init(file: "", line: 0)), clientID: "bench-publisher",
            logger: Logger(label: "bench"))
        try publisher.start()
        defer { publisher.stop() }
        for _ in 0..<100 where !publisher.isConnected { usleep(20_000) }
        usleep(500_000)  // the gateway's subscription settles
        return try ReportBenchmark.run(against: server, clients: clients, rate: rate, updates: messages) { _ in
            let period = UInt64(1e9 / Double(rate))
            let start = ReportBenchmark.monotonicNanoseconds()
            for index in 0..<UInt64(messages) {
                let target = start + index * period
                let now = ReportBenchmark.monotonicNanoseconds()
                if target > now { usleep(UInt32((target - now) / 1000)) }
                publisher.publish("bench/time", Array("{\"t\": \(ReportBenchmark.monotonicNanoseconds())}".utf8), qos: 0)
            }
        }
    }
}
