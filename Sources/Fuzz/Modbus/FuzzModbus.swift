// libFuzzer target: build with
//   swift build -c release --sanitize=fuzzer -Xswiftc -DFUZZING --product fuzz-modbus
// Without FUZZING this is a replay tool: `fuzz-modbus FILE…` runs each file through the target.
import Foundation
import GatewayCore
import IEC61850Model
import IEC61850TestSupport
import ModbusAdapter

/// The first bytes describe up to eight points of one device (table, address, type, bit, orders,
/// string length); a poll plan is made of them and each block is decoded from the registers and bits
/// the rest of the input holds, as a device's answers would be; each value is encoded back for a write.
func fuzzModbus(_ data: [UInt8]) {
    guard data.count >= 2 else { return }
    var input = data[...]
    func next() -> UInt8 { input.popFirst() ?? 0 }
    let types = ModbusDataType.allCases
    let tables = ModbusTable.allCases
    var points = ""
    for index in 0..<Int(next() % 8 + 1) {
        let table = tables[Int(next()) % tables.count]
        let type = table.isBits ? ModbusDataType.bool : types[Int(next()) % types.count]
        let address = Int(next()) << 8 | Int(next())
        let flags = next()
        var source = "{device: d, table: \(table.rawValue), address: \(address), type: \(type.rawValue)"
        if type == .string { source += ", length: \(Int(flags) % 250 + 1)" }
        if flags & 0x01 != 0 && !table.isBits && type == .uint16 { source += ", bit: \(flags >> 4)" }
        if flags & 0x02 != 0 { source += ", byte-order: little" }
        if flags & 0x04 != 0 { source += ", word-order: little" }
        points += "  - ref: LD/GGIO1.Ind\(index)\n    modbus: \(source)}\n    poll-ms: \(flags & 0x08 != 0 ? 100 : 1000)\n"
    }
    let text = "modbus:\n  - name: d\n    tcp: 127.0.0.1:502\n    addressing: \(next() & 1)\npoints:\n" + points
    guard let configuration = try? ConfigurationReader.parse(text, file: "fuzz.yaml"), let device = configuration.modbusDevices.first else { return }
    let plan = ModbusPollPlan(device: device, points: configuration.points)
    let rest = Array(input)
    for block in plan.groups.flatMap(\.blocks) {
        let registers = (0..<block.count).map { index in
            index * 2 + 1 < rest.count ? UInt16(rest[index * 2]) << 8 | UInt16(rest[index * 2 + 1]) : UInt16(truncatingIfNeeded: index)
        }
        let bits = (0..<block.count).map { index in index < rest.count ? rest[index] & 1 == 1 : false }
        var readings: [FieldReading] = []
        ModbusPollPlan.decode(block, registers: registers, bits: bits, time: Timestamp(secondsSinceEpoch: 0), into: &readings)
        for reading in readings {
            guard let source = configuration.points[reading.point].modbus, let value = reading.value else { continue }
            _ = ModbusRegisterCodec.encode(value, as: source.type, byteOrder: source.byteOrder ?? .big, wordOrder: source.wordOrder ?? .big)
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzModbus(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if !FUZZING
    @main
    struct Replay {
        static func main() { FuzzTargets.replay(CommandLine.arguments.dropFirst(), through: fuzzModbus) }
    }
#endif
