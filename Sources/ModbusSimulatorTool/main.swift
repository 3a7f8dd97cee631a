// A Modbus device simulator (libmodbus), for the demo, for tests and for trying a mapping file with
// nothing attached. All four tables have 10,000 entries per unit; clients may write coils and holding
// registers.
//
//   modbus-simulator [--port 1502] [--bind 127.0.0.1] [--demo]
//   modbus-simulator --rtu LINK [--units 1,2] [--demo]
//
// --rtu serves RTU units on a new pseudo-terminal, linked at LINK: a gateway device with
// `rtu: {device: LINK}` reads it as a serial line. Units not listed stay silent, like dead slaves.
// --demo animates the registers of mappings/examples/energy-meter.yaml (a meter with low-word-first
// floats: voltages at input 0/2/4, power in kW at 52, frequency at 70).
// Standard input takes `set TABLE ADDRESS TYPE VALUE [BYTE-ORDER [WORD-ORDER]]`, e.g.
// `set input 52 float32 1.5 big little`; `unit N` directs the following sets to unit N (RTU). Each line
// is answered with `ok` or `error <reason>`. `stats` is answered with `ok REQUESTS WRITES`: the requests
// answered so far and how many were writes.
// It serves until SIGINT or SIGTERM, also after standard input ends.
import Foundation
import GatewayCore
import ModbusAdapter

var arguments = ArraySlice(CommandLine.arguments.dropFirst())
var port = 1502
var host = "127.0.0.1"
var demo = false
var serialLink: String?
var units = [1]
while let flag = arguments.popFirst() {
    switch flag {
    case "--port": port = arguments.popFirst().flatMap(Int.init) ?? port
    case "--bind": host = arguments.popFirst() ?? host
    case "--demo": demo = true
    case "--rtu": serialLink = arguments.popFirst()
    case "--units": units = arguments.popFirst()?.split(separator: ",").compactMap { Int($0) } ?? units
    default:
        FileHandle.standardError.write(Data("usage: modbus-simulator [--port N] [--bind ADDR] [--rtu LINK [--units 1,2]] [--demo]\n".utf8))
        exit(2)
    }
}

let simulator: ModbusSimulator
do {
    simulator = try serialLink.map { try ModbusSimulator(serialLink: $0, units: units) } ?? ModbusSimulator(host: host, port: port)
} catch {
    FileHandle.standardError.write(Data("modbus-simulator: \(error)\n".utf8))
    exit(1)
}
simulator.start()
let served = serialLink.map { "Modbus RTU units \(units.map(String.init).joined(separator: ",")) on \($0)" } ?? "Modbus TCP on \(host):\(simulator.port)"
FileHandle.standardError.write(Data("modbus-simulator: serving \(served)\(demo ? " (demo meter)" : "")\n".utf8))

if demo {
    let meter = Thread {
        var tick = 0.0
        while true {
            tick += 1
            for (index, address) in [0, 2, 4].enumerated() {
                let volts = 230 + 2 * sin(tick / 10 + Double(index) * 2.1)
                simulator.set(.input, address: address, value: .double(volts), as: .float32, wordOrder: .little)
            }
            simulator.set(.input, address: 52, value: .double(12.5 + 3 * sin(tick / 7)), as: .float32, wordOrder: .little)
            simulator.set(.input, address: 70, value: .double(50 + 0.05 * sin(tick / 3)), as: .float32, wordOrder: .little)
            Thread.sleep(forTimeInterval: 1)
        }
    }
    meter.start()
}

func answer(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

var unit: Int?
while let line = readLine() {
    let words = line.split(separator: " ").map(String.init)
    if words == ["stats"] {
        let answered = simulator.answered
        answer("ok \(answered.requests) \(answered.writes)")
        continue
    }
    if words.count == 2, words[0] == "unit", let number = Int(words[1]) {
        unit = number
        answer("ok")
        continue
    }
    guard words.count >= 5, words[0] == "set", let table = ModbusTable(rawValue: words[1]), let address = Int(words[2]),
        let type = ModbusDataType(rawValue: words[3])
    else {
        answer("error expected: set TABLE ADDRESS TYPE VALUE [BYTE-ORDER [WORD-ORDER]]")
        continue
    }
    let text = words[4]
    let value: FieldValue =
        if let integer = Int64(text) { .integer(integer) } else if let number = Double(text) { .double(number) } else if let flag = Bool(text) {
            .bool(flag)
        } else { .string(text) }
    let byteOrder = words.count > 5 ? Endianness(rawValue: words[5]) ?? .big : .big
    let wordOrder = words.count > 6 ? Endianness(rawValue: words[6]) ?? .big : .big
    simulator.set(table, address: address, value: value, as: type, byteOrder: byteOrder, wordOrder: wordOrder, unit: unit)
    answer("ok")
}
// Standard input ended (or was never there): keep serving until SIGINT or SIGTERM.
while true { sleep(3600) }
