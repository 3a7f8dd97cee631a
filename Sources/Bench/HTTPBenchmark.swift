import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What the HTTP side costs a 10,000-point gateway: the same gateway (a model built from 10,000 Modbus
/// points, 1,000 of them changing every second) run without HTTP, then with the page open (its live
/// stream and a health check every 5 s) and `/metrics` scraped every second. Gateway CPU and memory are
/// read from /proc; the scrape's latency is measured at the client.
enum HTTPBenchmark {
    struct Phase {
        var name = ""
        var cpuCores = 0.0
        var residentKiB = 0
        var peakKiB = 0
        var scrapes: [Double] = []
        var streamBytes = 0
        var pointsSeconds: Double?
    }

    static let points = 10_000

    static func run(gateway: String, simulator: String, seconds: Double, rounds: Int) throws -> [Phase] {
        let folder = NSTemporaryDirectory() + "http-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let device = try ServerProcess.modbusSimulator(simulator)
        defer { device.stop() }
        let lines = (0..<points).map { index in
            "  - {ref: Plant/GGIO\(index / 100 + 1).AnIn\(index % 100 + 1), cdc: MV, poll-ms: 1000, modbus: {device: field, table: input, address: \(index), type: uint16}}\n"
        }
        let configuration = """
            model: {ied: BENCH}
            event-log: {path: \(folder)/events.sqlite}
            modbus:
              - name: field
                tcp: 127.0.0.1:\(device.port)
                timeout-ms: 1000
            points:
            \(lines.joined())
            """
        try configuration.write(toFile: "\(folder)/gateway.yaml", atomically: true, encoding: .utf8)

        // The field: 1,000 of the 10,000 registers change every second.
        let running = Atomic(true)
        let feeder = Thread { [device = UncheckedBox(device)] in
            var tick = 0
            while running.load(ordering: .relaxed) {
                let started = Date()
                for index in 0..<1000 {
                    _ = try? device.value.command("set input \((tick * 1000 + index * 7) % points) uint16 \((tick + index) % 60000)")
                }
                tick += 1
                Thread.sleep(forTimeInterval: max(0, 1 - Date().timeIntervalSince(started)))
            }
        }
        feeder.start()
        defer { running.store(false, ordering: .relaxed) }

        var phases: [Phase] = []
        for _ in 0..<rounds {
            for withHTTP in [false, true] {
                phases.append(try phase(gateway: gateway, folder: folder, withHTTP: withHTTP, seconds: seconds))
            }
        }
        return phases
    }

    private static func phase(gateway: String, folder: String, withHTTP: Bool, seconds: Double) throws -> Phase {
        let port = ServerProcess.freePort()
        let http = ServerProcess.freePort()
        try? FileManager.default.removeItem(atPath: "\(folder)/events.sqlite")
        var arguments = ["run", "--config", "\(folder)/gateway.yaml", "--port", "\(port)", "--bind", "127.0.0.1", "--log-level", "warning"]
        if withHTTP { arguments += ["--http-port", "\(http)"] }
        let server = try ServerProcess(name: withHTTP ? "gateway-http" : "gateway", executable: gateway, arguments: arguments, port: port)
        defer { server.stop() }
        Thread.sleep(forTimeInterval: 5)  // every point polled, the first changes logged
        var phase = Phase(name: withHTTP ? "page open + /metrics every 1 s" : "no HTTP")
        let stop = Atomic(false)
        let streamed = Atomic(0)
        let scrapes = Mutex<[Double]>([])
        var clients: [Thread] = []
        if withHTTP {
            phase.pointsSeconds = try get(port: http, path: "/api/points").seconds
            // The page: its live stream, and a health check every 5 s.
            clients.append(
                Thread {
                    let socket = try? open(port: http, path: "/api/stream")
                    guard let socket else { return }
                    defer { close(socket) }
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
                    setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    var health = Date()
                    while !stop.load(ordering: .relaxed) {
                        let count = recv(socket, &buffer, buffer.count, 0)
                        if count > 0 { streamed.add(count, ordering: .relaxed) }
                        if count == 0 { return }
                        if Date().timeIntervalSince(health) >= 5 {
                            _ = try? get(port: http, path: "/api/health")
                            health = Date()
                        }
                    }
                })
            // Prometheus: /metrics every second.
            clients.append(
                Thread {
                    while !stop.load(ordering: .relaxed) {
                        let started = Date()
                        if let answer = try? get(port: http, path: "/metrics") { scrapes.withLock { $0.append(answer.seconds) } }
                        Thread.sleep(forTimeInterval: max(0, 1 - Date().timeIntervalSince(started)))
                    }
                })
            for client in clients { client.start() }
        }
        let cpuBefore = server.cpuSeconds
        let started = Date()
        var peak = 0
        while Date().timeIntervalSince(started) < seconds {
            Thread.sleep(forTimeInterval: 0.5)
            peak = max(peak, server.residentKiB)
        }
        phase.cpuCores = (server.cpuSeconds - cpuBefore) / Date().timeIntervalSince(started)
        phase.residentKiB = server.residentKiB
        phase.peakKiB = peak
        stop.store(true, ordering: .relaxed)
        Thread.sleep(forTimeInterval: 1.2)
        phase.scrapes = scrapes.withLock { $0 }
        phase.streamBytes = streamed.load(ordering: .relaxed)
        return phase
    }

    /// A connected socket with a GET for `path` sent.
    static func open(port: Int, path: String) throws -> Int32 {
        guard let fd = ServerProcess.connected(port: port) else { throw BenchError("no HTTP answer on port \(port)") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        return fd
    }

    /// GET `path` to the end of the answer: the bytes received and the seconds it took.
    static func get(port: Int, path: String) throws -> (bytes: Int, seconds: Double) {
        let started = DispatchTime.now().uptimeNanoseconds
        let fd = try open(port: port, path: path)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var total = 0
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            total += count
        }
        return (total, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }

    static func report(_ phases: [Phase]) {
        print("HTTP side on a 10,000-point gateway (1,000 points change each second)")
        for phase in phases {
            var line = String(
                format: "  %-32@ CPU %5.1f%% of a core, RSS %7.1f MiB (peak %7.1f MiB)", phase.name as NSString, phase.cpuCores * 100,
                Double(phase.residentKiB) / 1024, Double(phase.peakKiB) / 1024)
            if !phase.scrapes.isEmpty {
                let sorted = phase.scrapes.sorted()
                line += String(
                    format: "; /metrics p50 %.1f ms p99 %.1f ms (%d scrapes); stream %.1f KiB/s; /api/points once %.0f ms", sorted[sorted.count / 2] * 1000,
                    sorted[min(sorted.count - 1, sorted.count * 99 / 100)] * 1000, sorted.count,
                    Double(phase.streamBytes) / 1024 / max(1, Double(sorted.count)),
                    (phase.pointsSeconds ?? 0) * 1000)
            }
            print(line)
        }
        let without = phases.filter { $0.name == "no HTTP" }
        let with = phases.filter { $0.name != "no HTTP" }
        guard !without.isEmpty, !with.isEmpty else { return }
        let cpu = (with.map(\.cpuCores).reduce(0, +) / Double(with.count)) - (without.map(\.cpuCores).reduce(0, +) / Double(without.count))
        let memory = Double(with.map(\.residentKiB).reduce(0, +) / with.count - without.map(\.residentKiB).reduce(0, +) / without.count) / 1024
        print(String(format: "  the HTTP side costs %+.1f%% of a core and %+.1f MiB (means over %d rounds)", cpu * 100, memory, with.count))
    }
}
