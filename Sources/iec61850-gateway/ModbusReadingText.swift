import Foundation
import GatewayCore
import ModbusAdapter

/// How `modbus read` prints a reading: a header, then per value its address, raw registers (hex and
/// decimal) or bit, and the decoded value.
enum ModbusReadingText {
    static func format(_ reading: ModbusProbe.Reading, address: GatewayConfiguration.ModbusAddress, device: GatewayConfiguration.ModbusDevice) -> String {
        let byteOrder = address.byteOrder ?? device.byteOrder, wordOrder = address.wordOrder ?? device.wordOrder
        var text = "\(device.name) unit \(device.unit), \(address.table.rawValue) \(address.address) (protocol address \(reading.protocolAddress))"
        text += address.table.isBits ? "\n" : ", \(address.type.rawValue), byte order \(byteOrder.rawValue), word order \(wordOrder.rawValue)\n"
        for (index, value) in reading.values.enumerated() {
            if address.table.isBits {
                text += "  \(address.address + index)  \(reading.bits[index] ? 1 : 0)  → \(value)\n"
                continue
            }
            let first = index * reading.registersPerValue
            let registers = reading.registers[first..<first + reading.registersPerValue]
            let place = registers.count == 1 ? "\(address.address + first)" : "\(address.address + first)-\(address.address + first + registers.count - 1)"
            let hex = registers.map { String(format: "0x%04X", $0) }.joined(separator: " ")
            text += "  \(place)  \(hex)  (\(registers.map(String.init).joined(separator: " ")))  → \(shown(value, address.type))\n"
        }
        return text
    }

    /// A float32 as the float it is (12.927115, not the double 12.927115440368652).
    static func shown(_ value: FieldValue, _ type: ModbusDataType) -> String {
        if type == .float32, case .double(let number) = value { return "\(Float(number))" }
        return "\(value)"
    }
}
