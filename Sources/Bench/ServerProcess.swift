import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A server under test, started as its own process so its CPU time can be read from /proc.
final class ServerProcess {
    let name: String
    let port: Int
    private let process: Process
    private let input: Pipe?
    private let output: Pipe?
    private var answered: [UInt8] = []

    /// - Parameter interactive: the server takes commands on standard input and answers each with a line
    ///   (`example-console-server`, `libiec61850_server.py --stdin-updates`).
    /// How to tell that the process is ready: an MMS association, or only a TCP connection (a Modbus device).
    enum Probe {
        case mms, tcp
    }

    init(name: String, executable: String, arguments: [String], port: Int, interactive: Bool = false, probe: Probe = .mms) throws {
        self.name = name
        self.port = port
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        input = interactive ? Pipe() : nil
        output = interactive ? Pipe() : nil
        if let input, let output {
            process.standardInput = input
            process.standardOutput = output
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
        var environment = ProcessInfo.processInfo.environment
        // BENCH_SERVER_LOG=FOLDER keeps each server's standard error (with a backtrace if it crashes).
        if let folder = environment["BENCH_SERVER_LOG"] {
            let path = "\(folder)/\(name)-\(port).log"
            FileManager.default.createFile(atPath: path, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: path) ?? FileHandle.nullDevice
            environment["SWIFT_BACKTRACE"] = "enable=yes,interactive=no"
        } else {
            process.standardError = FileHandle.nullDevice
            environment["SWIFT_BACKTRACE"] = "enable=no"
        }
        process.environment = environment
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while !(probe == .mms ? (try? LoadClient(port: port)) != nil : Self.accepts(port: port)) {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw BenchError("\(name) did not accept connections on port \(port)")
            }
            usleep(100_000)
        }
    }

    /// Sends one command line and returns the server's answer line.
    func command(_ line: String) throws -> String {
        guard let input, let output else { throw BenchError("\(name) takes no commands") }
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
        while true {
            if let newline = answered.firstIndex(of: 0x0A) {
                let answer = String(decoding: answered[..<newline], as: UTF8.self)
                answered.removeFirst(newline + 1)
                // The reference prints READY once it listens; that is not an answer.
                if answer.hasPrefix("READY") { continue }
                return answer
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw BenchError("\(name) closed its output") }
            answered += chunk
        }
    }

    /// User + system CPU seconds the process has used so far.
    var cpuSeconds: Double { cpuTimes.user + cpuTimes.system }

    /// User and system CPU seconds the process has used so far.
    var cpuTimes: (user: Double, system: Double) {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return (0, 0) }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
        let user = Double(fields[11]) ?? 0
        let system = Double(fields[12]) ?? 0
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user / ticks, system / ticks)
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { stop() }

    /// Resident memory (VmRSS) now, in KiB.
    var residentKiB: Int {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    /// Context switches of all the process's threads so far (voluntary and involuntary): each wake-up of a
    /// sleeping thread is one, and on a VM it costs more than the system call that caused it.
    var contextSwitches: Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/task")) ?? []
        return tasks.reduce(0) { total, task in
            guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/task/\(task)/status", encoding: .utf8) else { return total }
            return total
                + status.split(separator: "\n").filter { $0.contains("ctxt_switches:") }
                .compactMap { Int($0.split(separator: "\t").last ?? "") }.reduce(0, +)
        }
    }

    /// File descriptors open now.
    var openDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/fd").count) ?? 0
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func accepts(port: Int) -> Bool {
        guard let fd = connected(port: port) else { return false }
        close(fd)
        return true
    }

    /// A TCP socket connected to 127.0.0.1:`port`, or nil.
    static func connected(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// The bundled Modbus TCP simulator on a free loopback port, taking `set` commands on its stdin.
    static func modbusSimulator(_ executable: String) throws -> ServerProcess {
        let port = freePort()
        return try ServerProcess(
            name: "simulator", executable: executable, arguments: ["--port", "\(port)", "--bind", "127.0.0.1"], port: port, interactive: true, probe: .tcp)
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
