import CModbus
import GatewayCore

/// A libmodbus client context for one device.
///
/// @unchecked Sendable: libmodbus contexts are not thread-safe; each connection is created, used and
/// freed by its device's poller thread only (one request at a time per line).
final class ModbusConnection: @unchecked Sendable {
    private let context: OpaquePointer
    private(set) var isConnected = false
    /// An RTU line, on which several units may share this connection.
    let isSerial: Bool

    init(_ device: GatewayConfiguration.ModbusDevice) throws(ModbusError) {
        let created: OpaquePointer?
        switch device.transport {
        case .tcp(let host, let port):
            created = modbus_new_tcp(host, Int32(port))
        case .rtu(let path, let baud, let parity, let dataBits, let stopBits, _):
            created = modbus_new_rtu(path, Int32(baud), CChar(parity.asciiValue ?? 78), Int32(dataBits), Int32(stopBits))
        }
        guard let created else { throw ModbusError.last("create context for \(device.name)") }
        context = created
        if case .rtu = device.transport { isSerial = true } else { isSerial = false }
        select(device)
        if case .rtu(_, _, _, _, _, true) = device.transport {
            _ = modbus_rtu_set_serial_mode(context, MODBUS_RTU_RS485)  // not every port supports it; polling still works
        }
    }

    deinit {
        if isConnected { modbus_close(context) }
        modbus_free(context)
    }

    func connect() throws(ModbusError) {
        guard !isConnected else { return }
        guard modbus_connect(context) == 0 else { throw .last("connect") }
        isConnected = true
    }

    /// Addresses the next requests to `device` (its unit and response timeout): the units of one serial
    /// line share the connection.
    func select(_ device: GatewayConfiguration.ModbusDevice) {
        modbus_set_slave(context, Int32(device.unit))
        let timeout = UInt32(device.timeoutMilliseconds)
        modbus_set_response_timeout(context, timeout / 1000, (timeout % 1000) * 1000)
        // libmodbus waits the byte timeout (0.5 s by default) between the bytes of an answer, whatever the
        // response timeout: a device that dribbles its answer a byte at a time would hold the line for far
        // longer than timeout-ms. A quarter of the timeout (50…500 ms) between bytes still lets a slow
        // serial line (a byte every 8 ms at 1200 baud) or a TCP answer in two segments through.
        let gap = min(500, max(50, timeout / 4))
        modbus_set_byte_timeout(context, 0, gap * 1000)
    }

    /// Drops whatever a late or garbled answer left on the line.
    func flush() {
        if isConnected { _ = modbus_flush(context) }
    }

    func close() {
        guard isConnected else { return }
        modbus_close(context)
        isConnected = false
    }

    /// Reads `count` bits (coils or discrete inputs) from `address` (0-based).
    func readBits(_ table: ModbusTable, address: Int, count: Int) throws(ModbusError) -> [Bool] {
        var bits = [UInt8](repeating: 0, count: count)
        let read =
            table == .coil
            ? modbus_read_bits(context, Int32(address), Int32(count), &bits) : modbus_read_input_bits(context, Int32(address), Int32(count), &bits)
        guard read == Int32(count) else { throw .last("read \(table.rawValue) \(address)+\(count)") }
        return bits.map { $0 != 0 }
    }

    /// Reads `count` registers (holding or input) from `address` (0-based).
    func readRegisters(_ table: ModbusTable, address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        var registers = [UInt16](repeating: 0, count: count)
        let read =
            table == .holding
            ? modbus_read_registers(context, Int32(address), Int32(count), &registers)
            : modbus_read_input_registers(context, Int32(address), Int32(count), &registers)
        guard read == Int32(count) else { throw .last("read \(table.rawValue) \(address)+\(count)") }
        return registers
    }

    /// Writes a coil with function 5, or 15 when `multiple`.
    func writeCoil(address: Int, _ value: Bool, multiple: Bool = false) throws(ModbusError) {
        var bit: UInt8 = value ? 1 : 0
        let written = multiple ? modbus_write_bits(context, Int32(address), 1, &bit) : modbus_write_bit(context, Int32(address), Int32(bit))
        guard written == 1 else { throw .last("write coil \(address)") }
    }

    /// Writes registers: one with function 6 unless `multiple`, several with 16.
    func writeRegisters(address: Int, _ registers: [UInt16], multiple: Bool = false) throws(ModbusError) {
        let written =
            registers.count == 1 && !multiple
            ? modbus_write_register(context, Int32(address), registers[0])
            : modbus_write_registers(context, Int32(address), Int32(registers.count), registers)
        guard written == Int32(registers.count) else { throw .last("write holding \(address)+\(registers.count)") }
    }
}
