import CModbus
import Foundation
import GatewayCore

/// A Modbus device simulator: 10,000 of each table per unit, served on one thread, over TCP (to any
/// number of clients, answering any unit id) or as RTU units on a pseudo-terminal (a serial line with no
/// hardware: a gateway opens the link's path as its serial port). Tests and the demo set its values;
/// clients read them and may write coils and holding registers.
///
/// @unchecked Sendable: the register maps are touched under `lock` only (by the serving thread while it
/// answers a request, and by `set`/`value` callers); the context belongs to the serving thread.
public final class ModbusSimulator: @unchecked Sendable {
    public static let size: Int32 = 10_000

    private enum Endpoint {
        case tcp(listener: Int32)
        /// The pseudo-terminal's controller side, and its device side kept open so that the line stays
        /// up while no client has it open.
        case serial(controller: Int32, device: Int32, link: String)
    }

    private let context: OpaquePointer
    /// Register maps by unit; TCP has one, answering every unit id.
    private let mappings: [Int: UnsafeMutablePointer<modbus_mapping_t>]
    private let units: [Int]
    private var endpoint: Endpoint?
    private let lock = NSLock()
    private let worker = WorkerThread()
    /// The TCP port it listens on (0 on a serial line).
    public let port: Int

    /// Listens on `host:port` (port 0 picks a free one).
    public init(host: String = "127.0.0.1", port: Int) throws(ModbusError) {
        guard let context = modbus_new_tcp(host, Int32(port)) else { throw .last("create simulator") }
        let mappings = try Self.allocate(units: [0], context: context)
        let socket = modbus_tcp_listen(context, 16)
        guard socket >= 0 else {
            let error = ModbusError.last("listen on \(host):\(port)")
            Self.release(mappings, context)
            throw error
        }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        self.context = context
        self.mappings = mappings
        self.units = [0]
        self.endpoint = .tcp(listener: socket)
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Serves the RTU `units` on a new pseudo-terminal whose device path is linked at `link` (replacing
    /// what is there). A unit not in the list stays silent, as a dead slave does.
    public init(serialLink link: String, units: [Int]) throws(ModbusError) {
        precondition(!units.isEmpty, "serve at least one unit")
        let controller = posix_openpt(O_RDWR | O_NOCTTY)
        guard controller >= 0, grantpt(controller) == 0, unlockpt(controller) == 0, let name = ptsname(controller) else {
            throw ModbusError(operation: "open a pseudo-terminal", message: String(cString: strerror(errno)), code: errno)
        }
        let path = String(cString: name)
        let device = open(path, O_RDWR | O_NOCTTY)
        var settings = termios()
        tcgetattr(device, &settings)
        cfmakeraw(&settings)
        tcsetattr(device, TCSANOW, &settings)
        unlink(link)
        guard device >= 0, symlink(path, link) == 0 else {
            let error = ModbusError(operation: "link \(link) to \(path)", message: String(cString: strerror(errno)), code: errno)
            Glibc.close(controller)
            if device >= 0 { Glibc.close(device) }
            throw error
        }
        guard let context = modbus_new_rtu(path, 9600, 78, 8, 1) else { throw .last("create simulator") }
        self.context = context
        self.mappings = try Self.allocate(units: units, context: context)
        self.units = units
        self.endpoint = .serial(controller: controller, device: device, link: link)
        self.port = 0
        modbus_set_socket(context, controller)
    }

    private static func allocate(units: [Int], context: OpaquePointer) throws(ModbusError) -> [Int: UnsafeMutablePointer<modbus_mapping_t>] {
        var mappings: [Int: UnsafeMutablePointer<modbus_mapping_t>] = [:]
        for unit in units {
            guard let mapping = modbus_mapping_new(size, size, size, size) else {
                let error = ModbusError.last("allocate registers")
                release(mappings, context)
                throw error
            }
            mappings[unit] = mapping
        }
        return mappings
    }

    private static func release(_ mappings: [Int: UnsafeMutablePointer<modbus_mapping_t>], _ context: OpaquePointer) {
        for mapping in mappings.values { modbus_mapping_free(mapping) }
        modbus_free(context)
    }

    deinit {
        stop()
        Self.release(mappings, context)
    }

    /// Starts serving on a thread of its own.
    public func start() {
        worker.start(name: "modbus-simulator") { [self] in
            switch endpoint {
            case .tcp(let listener): serve(listener: listener)
            case .serial(let controller, _, _): serve(line: controller)
            case nil: break
            }
        }
    }

    /// Stops serving (within about 50 ms), closes every client connection and the listening socket (or
    /// the pseudo-terminal and its link).
    public func stop() {
        worker.stop()
        switch endpoint {
        case .tcp(let listener): Glibc.close(listener)
        case .serial(let controller, let device, let link):
            Glibc.close(controller)
            Glibc.close(device)
            unlink(link)
        case nil: break
        }
        endpoint = nil
    }

    private var isRunning: Bool { worker.isRunning }

    private func serve(listener: Int32) {
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
                    noteFunction(request[Int(modbus_get_header_length(context))])
                    modbus_reply(context, request, length, mappings[0])
                    lock.unlock()
                } else if length < 0 {
                    Glibc.close(descriptor.fd)
                    clients.removeAll { $0 == descriptor.fd }
                }
            }
        }
        for client in clients { Glibc.close(client) }
    }

    /// Reads RTU frames from the line and answers those addressed to a served unit. libmodbus's own
    /// receive serves a single unit, so frames are delimited here (by function code) and checked (CRC);
    /// `modbus_reply` builds the answer.
    private func serve(line: Int32) {
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while isRunning {
            var descriptor = pollfd(fd: line, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else {
                pending.removeAll()  // a silent gap ends any partial frame
                continue
            }
            let count = read(line, &chunk, chunk.count)
            guard count > 0 else { continue }
            pending += chunk[0..<count]
            while let length = RTUFrame.length(of: pending), pending.count >= length {
                let frame = Array(pending[0..<length])
                pending.removeFirst(length)
                guard RTUFrame.crcIsValid(frame) else {
                    pending.removeAll()
                    break
                }
                let unit = Int(frame[0])
                guard let mapping = mappings[unit] else { continue }  // another unit's request: stay silent
                modbus_set_slave(context, Int32(unit))
                lock.lock()
                noteFunction(frame[1])
                modbus_reply(context, frame, Int32(length), mapping)
                lock.unlock()
            }
            if pending.count >= 2 && !RTUFrame.isServed(function: pending[1]) { pending.removeAll() }
        }
    }

    /// Written by the serving thread under `lock`.
    private var writeFunction: UInt8 = 0
    /// The function code of the last write answered (5, 6, 15 or 16), for tests: polls go on meanwhile.
    public var lastWriteFunction: UInt8 {
        lock.lock()
        defer { lock.unlock() }
        return writeFunction
    }

    /// Requests and writes answered so far (written by the serving thread under `lock`).
    private var counts = (requests: 0, writes: 0)

    /// The requests answered so far, and how many of them were writes (5, 6, 15 or 16): for tests that
    /// check a command reached the device exactly once, or that a standby gateway left a line alone.
    public var answered: (requests: Int, writes: Int) {
        lock.lock()
        defer { lock.unlock() }
        return counts
    }

    /// Called by the serving thread under `lock`.
    private func noteFunction(_ function: UInt8) {
        counts.requests += 1
        if [5, 6, 15, 16].contains(function) {
            writeFunction = function
            counts.writes += 1
        }
    }

    /// The register map of `unit` (the first served by default; TCP's one map answers every unit), nil
    /// for a unit this simulator does not serve.
    private func mapping(_ unit: Int?) -> UnsafeMutablePointer<modbus_mapping_t>? {
        units == [0] ? mappings[0] : mappings[unit ?? units[0]]
    }

    /// Sets registers of a table (holding or input) from `address` (0-based), of `unit` (the first
    /// served by default).
    public func set(_ table: ModbusTable, address: Int, registers: [UInt16], unit: Int? = nil) {
        lock.lock()
        defer { lock.unlock() }
        guard let mapping = mapping(unit) else { return }
        let base = table == .holding ? mapping.pointee.tab_registers : mapping.pointee.tab_input_registers
        for (offset, value) in registers.enumerated() where address + offset < Int(Self.size) { base?[address + offset] = value }
    }

    /// Sets a bit of a table (coil or discrete input).
    public func set(_ table: ModbusTable, address: Int, bit: Bool, unit: Int? = nil) {
        lock.lock()
        defer { lock.unlock() }
        guard let mapping = mapping(unit) else { return }
        let base = table == .coil ? mapping.pointee.tab_bits : mapping.pointee.tab_input_bits
        if address < Int(Self.size) { base?[address] = bit ? 1 : 0 }
    }

    /// Sets a value in the layout a point reads (type, byte and word order).
    public func set(
        _ table: ModbusTable, address: Int, value: FieldValue, as type: ModbusDataType, byteOrder: Endianness = .big, wordOrder: Endianness = .big,
        unit: Int? = nil
    ) {
        if table.isBits {
            set(table, address: address, bit: value.number.map { $0 != 0 } ?? false, unit: unit)
        } else if let registers = ModbusRegisterCodec.encode(value, as: type, byteOrder: byteOrder, wordOrder: wordOrder) {
            set(table, address: address, registers: registers, unit: unit)
        }
    }

    /// The registers of a table (what clients wrote, for tests).
    public func registers(_ table: ModbusTable, address: Int, count: Int, unit: Int? = nil) -> [UInt16] {
        lock.lock()
        defer { lock.unlock() }
        let base = mapping(unit).flatMap { table == .holding ? $0.pointee.tab_registers : $0.pointee.tab_input_registers }
        return (address..<(address + count)).map { base?[$0] ?? 0 }
    }

    public func bit(_ table: ModbusTable, address: Int, unit: Int? = nil) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let base = mapping(unit).flatMap { table == .coil ? $0.pointee.tab_bits : $0.pointee.tab_input_bits }
        return (base?[address] ?? 0) != 0
    }
}
