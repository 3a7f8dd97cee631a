// A server fed from the console: serves an SCL file and applies the updates typed on standard input.
// Handy for commissioning (poke a value, watch the SCADA react) and used by the interop tests to drive
// reports. One command per line; " ; " joins commands into one atomic batch:
//
//   set GenericIO/GGIO1.Ind1.stVal bool true
//   set GenericIO/GGIO1.Ind1.q quality 2 ; set GenericIO/GGIO1.Ind1.t time now
//
// Types: bool, int, uint, float, quality (bit n of the 13-bit string is 1 << n), time (now or seconds).
//
//   tick GenericIO/GGIO2.AllTypes.int64Mx 1000 5000
//
// sets an integer attribute to the monotonic clock in nanoseconds (CLOCK_MONOTONIC), 1000 times a second,
// 5000 times: the report latency benchmark reads each report's value to tell how old it is.
// With --simulate (and --simulate-delay MS, 100 by default) controls are accepted and the status follows
// after the delay; then
//
//   fail GenericIO/GGIO1.SPCSO3 10      executing that object's controls fails with AddCause 10
//   accept GenericIO/GGIO1.SPCSO3       back to normal
//
// Every line is answered on standard output with `ok` or `error <reason>`; logs go to standard error.
//
//   swift run example-console-server --scl mappings/demo/demo.icd --port 10102
//
// For the log benchmark: `--log-db FILE` keeps the model's logs in SQLite, and `--log-load N` toggles
// GGIO1.Ind1..4 N times a second in the background (each toggle is one entry of the demo's EventLog).
import EventLog
import Foundation
import IEC61850Model
import IEC61850Server
import Logging

LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }

var arguments = ArraySlice(CommandLine.arguments.dropFirst())
var options: [String: String] = [:]
let simulate = arguments.contains("--simulate")
arguments.removeAll { $0 == "--simulate" }
while let flag = arguments.popFirst() {
    guard flag.hasPrefix("--"), let value = arguments.popFirst() else {
        FileHandle.standardError.write(Data("usage: example-console-server --scl FILE [--port N] [--bind ADDR] [--ied NAME] [--event-loops N]\n".utf8))
        exit(2)
    }
    options[String(flag.dropFirst(2))] = value
}
guard let scl = options["scl"] else {
    FileHandle.standardError.write(Data("example-console-server: --scl FILE is required\n".utf8))
    exit(2)
}

let model = try SCLLoader(renameTo: options["ied"]).load(file: scl)
var configuration = IedServerConfiguration()
configuration.port = Int(options["port"] ?? "") ?? 10102
configuration.bindAddress = options["bind"] ?? "127.0.0.1"
if let threads = options["event-loops"].flatMap(Int.init) { configuration.eventLoopThreads = threads }
var storage: SQLiteLogStorage?
if let database = options["log-db"] {
    storage = try SQLiteLogStorage(path: database, maximumEntries: 100_000)
    configuration.logStorage = storage
}
let server = IedServer(model: model, configuration: configuration)
if let rate = options["log-load"].flatMap(Double.init), rate > 0 {
    let handles = try (1...4).map { try server.handle(for: "GenericIO/GGIO1.Ind\($0).stVal") }
    let thread = Thread {
        // In steps of 1 ms: as many toggles as the rate asks for by then, so the load stays paced.
        let start = monotonicNanoseconds()
        var done: UInt64 = 0
        while true {
            let due = UInt64(Double(monotonicNanoseconds() - start) / 1e9 * rate)
            while done < due {
                let handle = handles[Int(done % 4)]
                try? server.update(handle, to: .boolean(done / 4 % 2 == 0))
                done += 1
            }
            usleep(1_000)
        }
    }
    thread.start()
}
let simulationDelay = Duration.milliseconds(Int(options["simulate-delay"] ?? "") ?? 100)
if simulate { server.simulateControls(delay: simulationDelay) }
try await server.start()

/// Parses `set REF TYPE VALUE` into a handle and a value of the handle's type.
func parse(_ command: Substring) throws -> (AttributeHandle, DataValue) {
    let words = command.split(separator: " ", omittingEmptySubsequences: true)
    guard words.count == 4, words[0] == "set" else { throw ConsoleError("expected: set REFERENCE TYPE VALUE") }
    let handle = try server.handle(for: String(words[1]))
    let text = String(words[3])
    let value: DataValue? =
        switch words[2] {
        case "bool": Bool(text).map(DataValue.boolean)
        case "int", "uint":
            handle.type.unsignedMaximum != nil ? UInt64(text).map(DataValue.unsigned) : Int64(text).map(DataValue.integer)
        case "float": handle.type == .float64 ? Double(text).map(DataValue.float64) : Float(text).map(DataValue.float32)
        case "quality": UInt16(text).map { .quality(Quality(rawValue: $0)) }
        case "time": text == "now" ? .timestamp(.now()) : Double(text).map { .timestamp(Timestamp(millisecondsSinceEpoch: UInt64(max(0, $0 * 1000)))) }
        default: nil
        }
    guard let value else { throw ConsoleError("cannot read \(words[3]) as \(words[2])") }
    return (handle, value)
}

struct ConsoleError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Answers one line on standard output, unbuffered (the caller waits for it).
func answer(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// `tick REF RATE COUNT`: paced updates of an integer attribute to the monotonic time in nanoseconds.
func tick(_ words: [Substring]) throws {
    guard words.count == 4, let rate = Double(words[2]), rate > 0, let count = Int(words[3]) else { throw ConsoleError("expected: tick REFERENCE RATE COUNT") }
    let handle = try server.handle(for: String(words[1]))
    let period = UInt64(1e9 / rate)
    let start = monotonicNanoseconds()
    for index in 0..<UInt64(count) {
        let target = start + index * period
        let now = monotonicNanoseconds()
        if target > now {
            var pause = timespec(tv_sec: Int((target - now) / 1_000_000_000), tv_nsec: Int((target - now) % 1_000_000_000))
            nanosleep(&pause, nil)
        }
        try server.update(handle, to: .integer(Int64(monotonicNanoseconds())))
    }
}

@Sendable func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

while let line = readLine() {
    if simulate && (line.hasPrefix("fail ") || line.hasPrefix("accept ")) {
        let words = line.split(separator: " ")
        let cause = words.count == 3 ? Int64(words[2]).flatMap(AddCause.init(rawValue:)) : nil
        do {
            guard words.count == (words[0] == "fail" ? 3 : 2), words[0] == "accept" || cause != nil else {
                throw ConsoleError("expected: fail REFERENCE ADDCAUSE | accept REFERENCE")
            }
            try server.setControlHandler(for: String(words[1]), IedServer.simulated(delay: simulationDelay, failing: cause))
            answer("ok")
        } catch {
            answer("error \(error)")
        }
        continue
    }
    if line.hasPrefix("tick ") {
        do {
            try tick(line.split(separator: " "))
            answer("ok")
        } catch {
            answer("error \(error)")
        }
        continue
    }
    let commands = line.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces)[...] }.filter { !$0.isEmpty }
    guard !commands.isEmpty else { continue }
    do {
        let changes = try commands.map(parse)
        try server.batch { batch in
            for (handle, value) in changes { try batch.set(handle, value) }
        }
        answer("ok")
    } catch {
        answer("error \(error)")
    }
}
await server.stop()
storage?.close()
