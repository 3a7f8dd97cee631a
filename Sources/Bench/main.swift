// Read-load benchmark: the same load on our server and on libIEC61850's, in the same run.
//
//   swift build -c release && .build/release/iec61850-bench [--seconds 5] [--scenario TEXT] [--gateway PATH]
//                                                 (--scenario: only the scenarios whose name has TEXT;
//                                                  --gateway: another build of ours, to compare two;
//                                                  --console PATH does the same for the report benchmarks)
//   .build/release/iec61850-bench --in-memory [--reads 200000]  (our pipeline's own CPU per read, no sockets,
//                                                 beside the in-memory channel's own cost with a handler that
//                                                 only answers; under callgrind, two --reads counts give
//                                                 instructions per read)
//   .build/release/iec61850-bench --scl-load FILE [--ied NAME] [--repeat 5]
//                                                 (SCL file → model, as at start: min/median/max and
//                                                  peak RSS; Benchmarks/make_scd.py writes a 50 MB SCD)
//   .build/release/iec61850-bench --reports [--clients 5] [--rate 1000] [--updates 5000]
//                                                 (report latency, update → client, both servers;
//                                                  --only ours|libIEC61850 runs one)
//   .build/release/iec61850-bench --mqtt-reports [--clients 10] [--rate 1000] [--updates 5000]
//                                                 (MQTT publish → report at the client, through the gateway)
//   .build/release/iec61850-bench --controls [--commands 2000]
//                                                 (control round trips, both servers)
//   .build/release/iec61850-bench --log-writer FILE [--rate 10000] [--seconds 60] [--max-entries N] [--label RUN]
//                                                 (SQLite log storage: sustained appends and events,
//                                                  committed ids)
//   .build/release/iec61850-bench --reports --log-load 10000
//                                                 (the same, plus ours logging 10,000 entries/s to SQLite)
//   .build/release/iec61850-bench --journal [--entries 1000] [--repeat 50] [--log-load 5000]
//                                                 (ReadJournal of N entries while the server logs)
//   .build/release/iec61850-bench --http [--seconds 30] [--rounds 2]
//                                                 (the HTTP side's cost on a 10,000-point gateway: CPU and
//                                                  memory without HTTP, then with the page open and
//                                                  /metrics scraped every second)
//   .build/release/iec61850-bench --soak [--clients 100] [--seconds 600]
//                                                 (associations coming and going with reads and
//                                                  reports while the gateway polls and logs: memory,
//                                                  descriptors, lost reports)
//
// Our server: .build/release/iec61850-gateway serving mappings/demo/demo.icd.
// libIEC61850 1.6.1: Benchmarks/libiec61850_server.py (pyiec61850-ng) serving the same LNs.
// For each scenario it prints reads/s, server CPU time per read (from /proc/PID/stat) and the
// latency percentiles of a request seen by the client, then the ratio of CPU per read.
import Dispatch
import Foundation
import IEC61850Model

let arguments = CommandLine.arguments
/// The word after `name` on the command line, if `name` is there.
func value(of name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
func option(_ name: String, _ fallback: Int) -> Int { value(of: name).flatMap { Int($0) } ?? fallback }
let seconds = value(of: "--seconds").flatMap { Double($0) } ?? 5
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let gateway = value(of: "--gateway") ?? "\(root)/.build/release/iec61850-gateway"
let console = value(of: "--console") ?? "\(root)/.build/release/example-console-server"

/// Our console server on `port`, logging `load` entries a second to the SQLite file `database`.
func loggingConsole(name: String, port: Int, database: String, load: Int) throws -> ServerProcess {
    try ServerProcess(
        name: name, executable: console,
        arguments: [
            "--scl", "\(root)/mappings/demo/demo.icd", "--port", "\(port)", "--bind", "127.0.0.1", "--log-db", database, "--log-load", "\(load)",
        ], port: port, interactive: true)
}

/// Removes a benchmark's SQLite file with its WAL and shared-memory files.
func removeDatabase(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

struct Scenario {
    let name: String
    let item: String
    let connections: Int
    let outstanding: Int
    /// Associations that are open but send nothing (a standby SCADA link).
    var idle = 0
}

let scenarios = [
    Scenario(name: "1 association, leaf", item: "GGIO1$MX$AnIn1$mag$f", connections: 1, outstanding: 1),
    Scenario(name: "1 association, 5 in flight", item: "GGIO1$MX$AnIn1$mag$f", connections: 1, outstanding: 5),
    Scenario(name: "4 associations, leaf", item: "GGIO1$MX$AnIn1$mag$f", connections: 4, outstanding: 1),
    Scenario(name: "1 association, LN+FC structure", item: "GGIO1$MX", connections: 1, outstanding: 1),
    Scenario(name: "2 busy + 2 idle associations", item: "GGIO1$MX$AnIn1$mag$f", connections: 2, outstanding: 1, idle: 2),
]

struct Result {
    var reads = 0
    var cpuPerRead: Double = 0
    /// The share of the server's CPU time spent in user space (the rest is the kernel's).
    var userShare: Double = 0
    var readsPerSecond: Double = 0
    var latencies: [Double] = []

    func percentile(_ p: Double) -> Double {
        guard !latencies.isEmpty else { return 0 }
        let sorted = latencies.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}

/// Thread-safe collection of the per-connection results.
final class Collector: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var reads = 0
    private var latencies: [Double] = []
    private var errors: [String] = []

    func add(reads count: Int, latencies samples: [Double]) {
        lock.lock()
        reads += count
        latencies += samples
        lock.unlock()
    }

    func fail(_ message: String) {
        lock.lock()
        errors.append(message)
        lock.unlock()
    }

    var snapshot: (Int, [Double], [String]) {
        lock.lock()
        defer { lock.unlock() }
        return (reads, latencies, errors)
    }
}

func run(_ scenario: Scenario, against server: ServerProcess) throws -> Result {
    let collector = Collector()
    let clients = try (0..<scenario.connections).map { _ in try LoadClient(port: server.port) }
    let idle = try (0..<scenario.idle).map { _ in try LoadClient(port: server.port) }
    defer { _ = idle }
    let clientsBox = UncheckedBox(clients)
    // Warm up, then measure.
    for client in clients {
        try client.send(LoadClient.readRequest(invokeID: 1, domain: "DEMOGenericIO", item: scenario.item))
        let answer = try client.receiveFrame()
        guard answer.count > 20, answer.contains(0xA1) else { throw BenchError("\(server.name): unexpected answer to the warm-up read") }
    }
    let cpuBefore = server.cpuTimes
    let start = DispatchTime.now().uptimeNanoseconds
    let end = start + UInt64(seconds * 1e9)
    // One thread per association, all running at once (concurrentPerform would run only as many as cores).
    let done = DispatchGroup()
    for index in 0..<scenario.connections {
        done.enter()
        let thread = Thread {
            defer { done.leave() }
            let client = clientsBox.value[index]
            var latencies: [Double] = []
            latencies.reserveCapacity(200_000)
            var sentAt: [UInt64] = []
            var invokeID: UInt32 = 2
            var reads = 0
            do {
                for _ in 0..<scenario.outstanding {
                    try client.send(LoadClient.readRequest(invokeID: invokeID, domain: "DEMOGenericIO", item: scenario.item))
                    sentAt.append(DispatchTime.now().uptimeNanoseconds)
                    invokeID &+= 1
                }
                while true {
                    _ = try client.receiveFrame()
                    let now = DispatchTime.now().uptimeNanoseconds
                    latencies.append(Double(now - sentAt.removeFirst()) / 1000)
                    reads += 1
                    if now < end {
                        try client.send(LoadClient.readRequest(invokeID: invokeID, domain: "DEMOGenericIO", item: scenario.item))
                        sentAt.append(DispatchTime.now().uptimeNanoseconds)
                        invokeID = invokeID == UInt32(Int32.max) ? 2 : invokeID + 1
                    } else if sentAt.isEmpty {
                        break
                    }
                }
            } catch {
                collector.fail("\(error)")
            }
            collector.add(reads: reads, latencies: latencies)
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    done.wait()

    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let cpuAfter = server.cpuTimes
    let user = cpuAfter.user - cpuBefore.user
    let cpu = user + cpuAfter.system - cpuBefore.system
    let (reads, latencies, errors) = collector.snapshot
    if let error = errors.first { throw BenchError("\(server.name): \(error)") }
    return Result(
        reads: reads, cpuPerRead: reads > 0 ? cpu / Double(reads) * 1e6 : 0, userShare: cpu > 0 ? user / cpu : 0, readsPerSecond: Double(reads) / elapsed,
        latencies: latencies)
}

/// Carries the clients into concurrentPerform; each index is used by one thread only.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

if let path = value(of: "--log-writer") {
    let rate = value(of: "--rate").flatMap { Int($0) }
    let bound = option("--max-entries", 1_000_000)
    try LogWriterBenchmark.run(path: path, rate: rate, seconds: seconds, maximumEntries: bound, label: value(of: "--label") ?? "0")
    exit(0)
}

if let path = value(of: "--scl-load") {
    try SCLLoadBenchmark.run(path: path, ied: value(of: "--ied"), repeat: option("--repeat", 5))
    exit(0)
}

if arguments.contains("--in-memory") {
    let model = try SCLLoader().load(file: "\(root)/mappings/demo/demo.icd")
    print("In memory (no sockets, no kernel): CPU per read of our pipeline")
    for item in ["GGIO1$MX$AnIn1$mag$f", "GGIO1$MX"] {
        let perRead = try InMemoryBenchmark.run(model: model, item: item, reads: option("--reads", 200_000))
        let floor = try InMemoryBenchmark.channelFloor(model: model, item: item, reads: option("--reads", 200_000))
        print(
            "  \(item.padding(toLength: 24, withPad: " ", startingAt: 0)) \(format(perRead, 2)) µs"
                + "  (the in-memory channel alone, same bytes in and out: \(format(floor, 2)) µs)")
    }
    exit(0)
}

if arguments.contains("--reports") {
    let clients = option("--clients", 5)  // libIEC61850 as packaged serves at most 5 associations
    let rate = option("--rate", 1000)
    let updates = option("--updates", 5000)
    guard FileManager.default.isExecutableFile(atPath: console) else {
        FileHandle.standardError.write(Data("build it first: swift build -c release (looked for \(console))\n".utf8))
        exit(2)
    }
    let ourPort = ServerProcess.freePort()
    let referencePort = ServerProcess.freePort()
    // --log-load N: a third server, ours again, that also logs N entries a second to SQLite meanwhile.
    let logLoad = option("--log-load", 0)
    let logDatabase = NSTemporaryDirectory() + "bench-log-\(getpid()).sqlite"
    var servers = [
        try ServerProcess(
            name: "ours", executable: console, arguments: ["--scl", "\(root)/mappings/demo/demo.icd", "--port", "\(ourPort)", "--bind", "127.0.0.1"],
            port: ourPort, interactive: true),
        try ServerProcess(
            name: "libIEC61850", executable: "/usr/bin/env",
            arguments: [
                "python3", "\(root)/Benchmarks/libiec61850_server.py", "--port", "\(referencePort)", "--bind", "127.0.0.1", "--all", "--stdin-updates",
            ],
            port: referencePort, interactive: true),
    ]
    if logLoad > 0 {
        servers.append(try loggingConsole(name: "ours+log", port: ServerProcess.freePort(), database: logDatabase, load: logLoad))
    }
    print("Report latency: \(clients) associations, each with a URCB (BufTm 0, dchg) over one INT64; \(updates) updates at \(rate)/s")
    print("server        received/expected  gaps   p50 µs   p90 µs   p99 µs   max µs  server CPU µs/update  switches/update")
    let only = value(of: "--only")
    for server in servers where only == nil || server.name == only {
        let result: ReportBenchmark.Result
        do {
            result = try ReportBenchmark.run(against: server, clients: clients, rate: rate, updates: updates)
        } catch {
            print(server.name.padding(toLength: 14, withPad: " ", startingAt: 0) + "failed: \(error)")
            server.stop()
            continue
        }
        print(
            server.name.padding(toLength: 14, withPad: " ", startingAt: 0) + "\(result.received)/\(result.expected)".leftPadded(17)
                + "\(result.sequenceGaps)".leftPadded(6) + format(result.percentile(0.5)).leftPadded(9) + format(result.percentile(0.9)).leftPadded(9)
                + format(result.percentile(0.99)).leftPadded(9) + format(result.latencies.max() ?? 0).leftPadded(9) + format(result.cpuPerUpdate).leftPadded(22)
                + String(format: "%.1f", result.switchesPerUpdate).leftPadded(17)
        )
        server.stop()
    }
    removeDatabase(logDatabase)
    exit(0)
}

if arguments.contains("--http") {
    let duration = value(of: "--seconds").flatMap { Double($0) } ?? 30
    let phases = try HTTPBenchmark.run(
        gateway: gateway, simulator: "\(root)/.build/release/modbus-simulator", seconds: duration, rounds: option("--rounds", 2))
    HTTPBenchmark.report(phases)
    exit(0)
}

if arguments.contains("--soak") {
    let clients = option("--clients", 100)
    let duration = value(of: "--seconds").flatMap { Double($0) } ?? 600
    let result = try SoakBenchmark.run(
        gateway: gateway, simulator: "\(root)/.build/release/modbus-simulator", root: root, clients: clients, seconds: duration)
    print("Soak: \(clients) associations connecting, reading, enabling URCBs and closing for \(Int(duration)) s, while the gateway polls and logs")
    print("visits \(result.cycles)  reads \(result.reads)  visits with a URCB \(result.enabled)  reports \(result.reports)  lost (SqNum gaps) \(result.gaps)")
    print("failures: " + (result.failures.isEmpty ? "none" : result.failures.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", ")))
    print("    s    RSS MiB   open fds")
    for sample in result.samples {
        print(format(sample.seconds).leftPadded(5) + format(Double(sample.residentKiB) / 1024).leftPadded(11) + "\(sample.descriptors)".leftPadded(11))
    }
    exit(0)
}

if arguments.contains("--journal") {
    let entries = option("--entries", 1000)
    let repeats = option("--repeat", 50)
    let load = option("--log-load", 5000)
    let database = NSTemporaryDirectory() + "bench-journal-\(getpid()).sqlite"
    let port = ServerProcess.freePort()
    let server = try loggingConsole(name: "ours", port: port, database: database, load: load)
    Thread.sleep(forTimeInterval: max(1.5, Double(entries) / Double(max(load, 1)) * 2))
    let measured = Swift.Result(catching: { try JournalBenchmark.run(port: port, entries: entries, repeats: repeats) })
    server.stop()  // exit() below runs no defer
    removeDatabase(database)
    let (times, pages) = try measured.get()
    let sorted = times.sorted()
    func at(_ p: Double) -> String { format(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000) }
    print("ReadJournal of \(entries) entries (QueryLogByTime, then QueryLogAfter while moreFollows; \(pages) responses), \(repeats) times,")
    print("while the server logs \(load) entries/s to SQLite:")
    print("p50 \(at(0.5)) µs   p90 \(at(0.9)) µs   p99 \(at(0.99)) µs   max \(format((sorted.last ?? 0) * 1000)) µs")
    exit(0)
}

if arguments.contains("--mqtt-reports") {
    let clients = option("--clients", 10)
    let rate = option("--rate", 1000)
    let messages = option("--updates", 5000)
    let result = try MQTTReportBenchmark.run(gateway: gateway, root: root, clients: clients, rate: rate, messages: messages)
    print("MQTT publish → report at the client: \(clients) associations with a URCB (BufTm 0, dchg) over one INT64; \(messages) messages at \(rate)/s (QoS 0)")
    print("received/expected  gaps   p50 µs   p90 µs   p99 µs   max µs  gateway CPU µs/message")
    print(
        "\(result.received)/\(result.expected)".leftPadded(17) + "\(result.sequenceGaps)".leftPadded(6) + format(result.percentile(0.5)).leftPadded(9)
            + format(result.percentile(0.9)).leftPadded(9) + format(result.percentile(0.99)).leftPadded(9) + format(result.latencies.max() ?? 0).leftPadded(9)
            + format(result.cpuPerUpdate).leftPadded(24))
    exit(0)
}

if arguments.contains("--controls") {
    let commands = option("--commands", 2000)
    let ourPort = ServerProcess.freePort()
    let referencePort = ServerProcess.freePort()
    let servers = [
        try ServerProcess(
            name: "ours", executable: gateway,
            arguments: [
                "run", "--scl", "\(root)/mappings/demo/demo.icd", "--port", "\(ourPort)", "--bind", "127.0.0.1", "--log-level", "warning", "--simulate",
                "--simulate-delay", "0",
            ], port: ourPort),
        try ServerProcess(
            name: "libIEC61850", executable: "/usr/bin/env",
            arguments: ["python3", "\(root)/Benchmarks/libiec61850_server.py", "--port", "\(referencePort)", "--bind", "127.0.0.1"], port: referencePort),
    ]
    print("Control round trips on one association, \(commands) of each; µs (ours: --simulate with no delay; libIEC61850: no handler)")
    print("server        direct p50    p99   SBO+Oper p50    p99   enhanced→CmdTerm p50    p99   CPU µs/command")
    for server in servers {
        let result = try ControlBenchmark.run(against: server, commands: commands)
        typealias R = ControlBenchmark.Result
        print(
            server.name.padding(toLength: 14, withPad: " ", startingAt: 0) + format(R.percentile(result.direct, 0.5)).leftPadded(10)
                + format(R.percentile(result.direct, 0.99)).leftPadded(7) + format(R.percentile(result.selectOperate, 0.5)).leftPadded(15)
                + format(R.percentile(result.selectOperate, 0.99)).leftPadded(7) + format(R.percentile(result.enhanced, 0.5)).leftPadded(23)
                + format(R.percentile(result.enhanced, 0.99)).leftPadded(7) + format(result.cpuPerCommand).leftPadded(17))
        server.stop()
    }
    exit(0)
}

guard FileManager.default.isExecutableFile(atPath: gateway) else {
    FileHandle.standardError.write(Data("build the gateway first: swift build -c release (looked for \(gateway))\n".utf8))
    exit(2)
}
let ourPort = ServerProcess.freePort()
let referencePort = ServerProcess.freePort()
let ours = try ServerProcess(
    name: "ours", executable: gateway,
    arguments: ["run", "--scl", "\(root)/mappings/demo/demo.icd", "--port", "\(ourPort)", "--bind", "127.0.0.1", "--log-level", "warning"], port: ourPort)
let reference = try ServerProcess(
    name: "libIEC61850", executable: "/usr/bin/env",
    arguments: ["python3", "\(root)/Benchmarks/libiec61850_server.py", "--port", "\(referencePort)", "--bind", "127.0.0.1"],
    port: referencePort)

print("Read load, \(format(seconds, 0)) s per scenario and server, on 127.0.0.1 (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
print("scenario                          server        reads/s   CPU µs/read  user%   p50 µs   p90 µs   p99 µs")
let only = value(of: "--scenario")
for scenario in scenarios where only.map(scenario.name.contains) ?? true {
    var perRead: [String: Double] = [:]
    for server in [ours, reference] {
        let result = try run(scenario, against: server)
        perRead[server.name] = result.cpuPerRead
        print(
            scenario.name.padding(toLength: 34, withPad: " ", startingAt: 0) + server.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                + format(result.readsPerSecond, 0).leftPadded(9) + format(result.cpuPerRead, 2).leftPadded(14) + format(result.userShare * 100, 0).leftPadded(7)
                + format(result.percentile(0.5)).leftPadded(9) + format(result.percentile(0.9)).leftPadded(9) + format(result.percentile(0.99)).leftPadded(9))
    }
    if let mine = perRead["ours"], let theirs = perRead["libIEC61850"], theirs > 0 {
        print("  CPU per read, ours / libIEC61850: \(format(mine / theirs, 2))")
    }
}
ours.stop()
reference.stop()

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
