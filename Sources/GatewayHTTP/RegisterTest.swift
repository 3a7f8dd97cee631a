import GatewayCore
import Hummingbird
import ModbusAdapter

/// `POST /api/modbus`: test a register of a configured device through its poller's line (between two
/// polls), as `modbus read` and `modbus write` do on a connection of their own.
enum RegisterTest {
    /// The request body.
    struct Request: Decodable {
        let device: String
        let table: String
        let address: Int
        var type: String?
        var count: Int?
        var byteOrder: String?
        var wordOrder: String?
        var bit: Int?
        var length: Int?
        /// Given: write this value first (engineer role), then read back.
        var value: String?
    }

    struct Answer: Encodable {
        let device: String
        let table: String
        let address: Int
        let protocolAddress: Int
        let type: String
        let byteOrder: String
        let wordOrder: String
        let registers: [UInt16]
        let bits: [Bool]
        let values: [JSONScalar]
        let wrote: String?
    }

    static func run(_ request: Request, operations: GatewayOperations, context: OperationsContext) async throws -> Response {
        if request.value != nil { try context.requireEngineer() }
        let pollers = operations.field.adapters.compactMap { $0 as? ModbusPoller }
        guard let poller = pollers.first(where: { $0.devices.contains { $0.name == request.device } }),
            let device = poller.devices.first(where: { $0.name == request.device })
        else {
            let names = pollers.flatMap(\.devices).map(\.name).joined(separator: ", ")
            throw HTTPError(.notFound, message: "no Modbus device '\(request.device)' (configured: \(names.isEmpty ? "none" : names))")
        }
        guard let table = ModbusTable(rawValue: request.table) else {
            throw HTTPError(.badRequest, message: "table must be one of \(ModbusTable.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let typeName = request.type ?? (table.isBits ? "bool" : "uint16")
        guard let type = ModbusDataType(rawValue: typeName) else {
            throw HTTPError(.badRequest, message: "type must be one of \(ModbusDataType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var address = GatewayConfiguration.ModbusAddress(device: device.name, table: table, address: request.address, type: type)
        address.bit = request.bit
        address.length = request.length ?? 0
        for (text, keyPath) in [(request.byteOrder, \GatewayConfiguration.ModbusAddress.byteOrder), (request.wordOrder, \.wordOrder)] {
            guard let text else { continue }
            guard let order = Endianness(rawValue: text) else { throw HTTPError(.badRequest, message: "byte and word order are big or little") }
            address[keyPath: keyPath] = order
        }
        let count = request.value == nil ? request.count ?? 1 : 1
        if let problem = ModbusProbe.problem(address, count: count) { throw HTTPError(.badRequest, message: problem) }
        guard (0...65535).contains(request.address - device.addressing) else { throw HTTPError(.badRequest, message: "address outside 0…65535") }
        var value: FieldValue?
        if let text = request.value {
            guard operations.role == .active else {
                throw HTTPError(.conflict, message: "this gateway is the standby of a redundant pair: it writes nothing to the field")
            }
            guard table.isWritable else { throw HTTPError(.badRequest, message: "only coils and holding registers can be written") }
            guard let parsed = ModbusProbe.value(text, as: type, table: table) else {
                throw HTTPError(.badRequest, message: "'\(text)' is not a \(table == .coil ? "bool" : type.rawValue)")
            }
            value = parsed
        }
        let reading: ModbusProbe.Reading
        do {
            reading = try await poller.probe(address, count: count, writing: value)
        } catch {
            throw HTTPError(.badGateway, message: "\(device.name): \(error)")
        }
        let answer = Answer(
            device: device.name, table: table.rawValue, address: request.address, protocolAddress: reading.protocolAddress, type: type.rawValue,
            byteOrder: (address.byteOrder ?? device.byteOrder).rawValue, wordOrder: (address.wordOrder ?? device.wordOrder).rawValue,
            registers: reading.registers, bits: reading.bits, values: reading.values.map { JSONScalar($0, as: type) }, wrote: request.value)
        return try JSONResponse.make(answer)
    }
}
