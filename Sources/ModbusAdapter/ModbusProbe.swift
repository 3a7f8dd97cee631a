import GatewayCore

/// One read or write for commissioning ("test a register"): the raw registers or bits beside the values
/// they decode to with the device's (or the request's) byte and word order. The `modbus read` and
/// `modbus write` commands and the HTTP API use it; a running gateway's probes share its line.
public enum ModbusProbe {
    /// What a read found.
    public struct Reading: Sendable, Equatable {
        /// The protocol address of the first register or bit (the documented address less the device's addressing).
        public let protocolAddress: Int
        /// The registers read (empty for coils and discrete inputs).
        public let registers: [UInt16]
        /// The bits read (coils and discrete inputs).
        public let bits: [Bool]
        /// The values, one per `count`, decoded as the request's type.
        public let values: [FieldValue]
        /// Registers per value.
        public let registersPerValue: Int
    }

    /// The largest reads Modbus allows in one request.
    public static let maximumRegisters = 125
    public static let maximumBits = 2000

    /// Checks a request before it goes out; the message says what is wrong.
    public static func problem(_ address: GatewayConfiguration.ModbusAddress, count: Int) -> String? {
        guard count >= 1 else { return "count must be at least 1" }
        if address.table.isBits {
            return count <= maximumBits ? nil : "at most \(maximumBits) bits in one request"
        }
        let total = address.type.registerCount(stringLength: address.length) * count
        guard total <= maximumRegisters else { return "\(count) × \(address.type.rawValue) is \(total) registers; at most \(maximumRegisters) in one request" }
        if let bit = address.bit, !(0...15).contains(bit) { return "bit must be 0…15" }
        return nil
    }

    /// A value to write, from text, for a type: nil when the text is not one.
    public static func value(_ text: String, as type: ModbusDataType, table: ModbusTable) -> FieldValue? {
        if table == .coil || type == .bool {
            switch text.lowercased() {
            case "true", "1", "on": return .bool(true)
            case "false", "0", "off": return .bool(false)
            default: return nil
            }
        }
        switch type {
        case .string: return .string(text)
        case .float32, .float64: return Double(text).map(FieldValue.double)
        default: return Int64(text).map(FieldValue.integer) ?? UInt64(text).map(FieldValue.unsigned)
        }
    }

    /// Reads `count` values at `address` over `connection` (selected for `device`).
    static func read(
        _ address: GatewayConfiguration.ModbusAddress, count: Int, device: GatewayConfiguration.ModbusDevice, on connection: ModbusConnection
    ) throws(ModbusError) -> Reading {
        let start = address.address - device.addressing
        if address.table.isBits {
            let bits = try connection.readBits(address.table, address: start, count: count)
            return Reading(protocolAddress: start, registers: [], bits: bits, values: bits.map(FieldValue.bool), registersPerValue: 0)
        }
        let size = address.type.registerCount(stringLength: address.length)
        let registers = try connection.readRegisters(address.table, address: start, count: size * count)
        let values = stride(from: 0, to: registers.count, by: size).map { offset in
            ModbusRegisterCodec.decode(
                registers[offset..<offset + size], as: address.type, byteOrder: address.byteOrder ?? device.byteOrder,
                wordOrder: address.wordOrder ?? device.wordOrder, bit: address.bit)
        }
        return Reading(protocolAddress: start, registers: registers, bits: [], values: values, registersPerValue: size)
    }

    /// Writes `value` at `address` (a coil, or holding registers in the type's encoding); returns the
    /// registers written (none for a coil).
    @discardableResult
    static func write(
        _ address: GatewayConfiguration.ModbusAddress, _ value: FieldValue, device: GatewayConfiguration.ModbusDevice, on connection: ModbusConnection
    ) throws(ModbusError) -> [UInt16] {
        let start = address.address - device.addressing
        if address.table == .coil {
            try connection.writeCoil(address: start, (value.number ?? 0) != 0, multiple: address.writeFunction == 15)
            return []
        }
        guard address.table == .holding else {
            throw ModbusError(operation: "write \(address.table.rawValue) \(address.address)", message: "only coils and holding registers can be written")
        }
        guard
            let registers = ModbusRegisterCodec.encode(
                value, as: address.type, byteOrder: address.byteOrder ?? device.byteOrder, wordOrder: address.wordOrder ?? device.wordOrder)
        else {
            throw ModbusError(operation: "write \(address.table.rawValue) \(address.address)", message: "\(value) does not fit \(address.type)")
        }
        try connection.writeRegisters(address: start, registers, multiple: address.writeFunction == 16)
        return registers
    }

    /// Reads on a connection of its own (no gateway running on the line).
    public static func read(
        _ address: GatewayConfiguration.ModbusAddress, count: Int, device: GatewayConfiguration.ModbusDevice
    ) throws(ModbusError) -> Reading {
        let connection = try open(device)
        defer { connection.close() }
        return try read(address, count: count, device: device, on: connection)
    }

    /// Writes, then reads back, on a connection of its own.
    public static func write(
        _ address: GatewayConfiguration.ModbusAddress, _ value: FieldValue, device: GatewayConfiguration.ModbusDevice
    ) throws(ModbusError) -> Reading {
        let connection = try open(device)
        defer { connection.close() }
        try write(address, value, device: device, on: connection)
        return try read(address, count: 1, device: device, on: connection)
    }

    private static func open(_ device: GatewayConfiguration.ModbusDevice) throws(ModbusError) -> ModbusConnection {
        let connection = try ModbusConnection(device)
        try connection.connect()
        connection.select(device)
        return connection
    }
}
