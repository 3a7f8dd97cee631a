import CModbus
import Foundation
import GatewayCore

/// A Modbus TCP device simulator: 10,000 of each table, served to any number of clients on one thread.
/// Tests and the demo set its values; clients read them and may write coils and holding registers.
///
/// @unchecked Sendable: the register map is touched under `lock` only (by the serving thread while it
/// answers a request, and by `set`/`value` callers); the server context belongs to the serving thread.
public final class ModbusSimulator: @unchecked Sendable {
    public static let size: Int32 = 10_000

    private let context: OpaquePointer
    private let mapping: UnsafeMutablePointer<modbus_mapping_t>
    private var listener: Int32
    private let lock = NSLock()
    private let worker = WorkerThread()
    /// The port it listens on.
    public let port: Int

    /// Listens on `host:port` (port 0 picks a free one).
    public init(host: String = "127.0.0.1", port: Int) throws(ModbusError) {
        guard let context = modbus_new_tcp(host, Int32(port)) else { throw .last("create simulator") }
        guard let mapping = modbus_mapping_new(Self.size, Self.size, Self.size, Self.size) else {
            modbus_free(context)
            throw .last("allocate registers")
        }
        let socket = modbus_tcp_listen(context, 16)
        guard socket >= 0 else {
            modbus_mapping_free(mapping)
            modbus_free(context)
            throw .last("listen on \(host):\(port)")
        }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        self.context = context
        self.mapping = mapping
        self.listener = socket
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        stop()
        modbus_mapping_free(mapping)
        modbus_free(context)
    }

    /// Starts serving on a thread of its own.
    public func start() {
        worker.start(name: "modbus-simulator") { [self] in serve() }
    }

    /// Stops serving (within about 50 ms), closes every client connection and the listening socket.
    public func stop() {
        worker.stop()
        if listener >= 0 {
            Glibc.close(listener)
            listener = -1
        }
    }

    private var isRunning: Bool { worker.isRunning }

    private func serve() {
        var clients: [Int32] = []
        var request = [UInt8](repeating: 0, count: Int(MODBUS_TCP_MAX_ADU_LENGTH))
        while isRunning {
            var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)] + clients.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&descriptors, nfds_t(descriptors.count), 50) > 0 else { continue }
            if descriptors[0].revents & Int16(POLLIN) != 0 {
                let client = accept(listener, nil, nil)
                if client >= 0 { clients.append(client) }
            }
            for descriptor in descriptors.dropFirst() where descriptor.revents != 0 {
                modbus_set_socket(context, descriptor.fd)
                let length = modbus_receive(context, &request)
                if length > 0 {
                    lock.lock()
                    modbus_reply(context, request, length, mapping)
                    lock.unlock()
                } else if length < 0 {
                    Glibc.close(descriptor.fd)
                    clients.removeAll { $0 == descriptor.fd }
                }
            }
        }
        for client in clients { Glibc.close(client) }
    }

    /// Sets registers of a table (holding or input) from `address` (0-based).
    public func set(_ table: ModbusTable, address: Int, registers: [UInt16]) {
        lock.lock()
        defer { lock.unlock() }
        let base = table == .holding ? mapping.pointee.tab_registers : mapping.pointee.tab_input_registers
        for (offset, value) in registers.enumerated() where address + offset < Int(Self.size) { base?[address + offset] = value }
    }

    /// Sets a bit of a table (coil or discrete input).
    public func set(_ table: ModbusTable, address: Int, bit: Bool) {
        lock.lock()
        defer { lock.unlock() }
        let base = table == .coil ? mapping.pointee.tab_bits : mapping.pointee.tab_input_bits
        if address < Int(Self.size) { base?[address] = bit ? 1 : 0 }
    }

    /// Sets a value in the layout a point reads (type, byte and word order).
    public func set(_ table: ModbusTable, address: Int, value: FieldValue, as type: ModbusDataType, byteOrder: Endianness = .big, wordOrder: Endianness = .big)
    {
        if table.isBits {
            set(table, address: address, bit: value.number.map { $0 != 0 } ?? false)
        } else if let registers = ModbusRegisterCodec.encode(value, as: type, byteOrder: byteOrder, wordOrder: wordOrder) {
            set(table, address: address, registers: registers)
        }
    }

    /// The registers of a table (what clients wrote, for tests).
    public func registers(_ table: ModbusTable, address: Int, count: Int) -> [UInt16] {
        lock.lock()
        defer { lock.unlock() }
        let base = table == .holding ? mapping.pointee.tab_registers : mapping.pointee.tab_input_registers
        return (address..<(address + count)).map { base?[$0] ?? 0 }
    }

    public func bit(_ table: ModbusTable, address: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let base = table == .coil ? mapping.pointee.tab_bits : mapping.pointee.tab_input_bits
        return (base?[address] ?? 0) != 0
    }
}
