import ArgumentParser
import Foundation
import GatewayCore
import ModbusAdapter

/// `modbus read` and `modbus write`: test a register of a configured device while commissioning.
struct ModbusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modbus",
        abstract: "Read or write a register of a configured Modbus device once (commissioning).",
        discussion: """
            The device's connection, unit, addressing and byte and word order come from the configuration. \
            These commands open a connection of their own: while the gateway runs, use its page or \
            POST /api/modbus instead (a serial line, or a device that takes one connection, is its poller's).

            Examples:
              iec61850-gateway modbus read --config gateway.yaml --device meter --table input --address 52 --type float32
              iec61850-gateway modbus read --config gateway.yaml --device meter --table holding --address 100 --type int16 --count 4
              iec61850-gateway modbus write --config gateway.yaml --device meter --table coil --address 12 --value true
            """,
        subcommands: [Read.self, Write.self])

    /// The register and how to decode it.
    struct Register: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("The gateway configuration that defines the device.", valueName: "file"))
        var config: String

        @Option(name: .long, help: ArgumentHelp("The device's name in the configuration.", valueName: "name"))
        var device: String

        @Option(name: .long, help: ArgumentHelp("coil, discrete-input, holding or input.", valueName: "table"))
        var table: String

        @Option(name: .long, help: ArgumentHelp("The address as the device documents it (its addressing: 0 or 1).", valueName: "n"))
        var address: Int

        @Option(
            name: .long,
            help: ArgumentHelp(
                "bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, string (default uint16; bool for bits).", valueName: "type"))
        var type: String?

        @Option(name: .customLong("byte-order"), help: ArgumentHelp("big or little (default: the device's).", valueName: "order"))
        var byteOrder: String?

        @Option(name: .customLong("word-order"), help: ArgumentHelp("big or little (default: the device's).", valueName: "order"))
        var wordOrder: String?

        @Option(name: .long, help: ArgumentHelp("One bit (0…15) of the register, as a boolean.", valueName: "n"))
        var bit: Int?

        @Option(name: .long, help: ArgumentHelp("Characters, for --type string.", valueName: "n"))
        var length: Int = 0

        /// The device and the address, checked against the configuration.
        func resolve() throws -> (GatewayConfiguration.ModbusDevice, GatewayConfiguration.ModbusAddress) {
            let configuration: GatewayConfiguration
            do {
                configuration = try ConfigurationReader.load(file: config, extensions: RunCommand.configurationExtensions)
            } catch {
                throw ValidationError("\(error)")
            }
            guard let device = configuration.modbusDevices.first(where: { $0.name == device }) else {
                let names = configuration.modbusDevices.map(\.name).joined(separator: ", ")
                throw ValidationError("\(config) has no Modbus device '\(device)' (it has: \(names.isEmpty ? "none" : names))")
            }
            guard let table = ModbusTable(rawValue: table) else {
                throw ValidationError("--table must be one of \(ModbusTable.allCases.map(\.rawValue).joined(separator: ", ")), not '\(table)'")
            }
            let typeName = type ?? (table.isBits ? "bool" : "uint16")
            guard let type = ModbusDataType(rawValue: typeName) else {
                throw ValidationError("--type must be one of \(ModbusDataType.allCases.map(\.rawValue).joined(separator: ", ")), not '\(typeName)'")
            }
            func order(_ text: String?, _ flag: String) throws -> Endianness? {
                guard let text else { return nil }
                guard let order = Endianness(rawValue: text) else { throw ValidationError("--\(flag) must be big or little, not '\(text)'") }
                return order
            }
            var destination = GatewayConfiguration.ModbusAddress(device: device.name, table: table, address: address, type: type)
            destination.bit = bit
            destination.length = length
            destination.byteOrder = try order(byteOrder, "byte-order")
            destination.wordOrder = try order(wordOrder, "word-order")
            guard address - device.addressing >= 0, address - device.addressing <= 65535 else {
                throw ValidationError("--address \(address) is outside the device's 0…65535 (its addressing starts at \(device.addressing))")
            }
            return (device, destination)
        }
    }

    struct Read: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read once and print the raw registers beside the decoded values.")

        @OptionGroup var register: Register

        @Option(name: .long, help: ArgumentHelp("How many values of the type, one after the other (default 1).", valueName: "n"))
        var count: Int = 1

        func run() throws {
            let (device, address) = try register.resolve()
            if let problem = ModbusProbe.problem(address, count: count) { throw ValidationError(problem) }
            do {
                let reading = try ModbusProbe.read(address, count: count, device: device)
                print(ModbusReadingText.format(reading, address: address, device: device), terminator: "")
            } catch {
                throw CommandFailure("\(device.name): \(error)")
            }
        }
    }

    struct Write: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a coil or holding register(s) once, then read back.")

        @OptionGroup var register: Register

        @Option(
            name: .long, parsing: .unconditional,
            help: ArgumentHelp("The value (true/false for a coil; a number or text as the type; -2 as it is).", valueName: "value"))
        var value: String

        func run() throws {
            let (device, address) = try register.resolve()
            guard address.table.isWritable else { throw ValidationError("--table \(address.table.rawValue) cannot be written (coil or holding only)") }
            if let problem = ModbusProbe.problem(address, count: 1) { throw ValidationError(problem) }
            guard let field = ModbusProbe.value(value, as: address.type, table: address.table) else {
                throw ValidationError("--value '\(value)' is not a \(address.table == .coil ? "bool" : address.type.rawValue)")
            }
            do {
                let reading = try ModbusProbe.write(address, field, device: device)
                print("wrote \(value); read back:")
                print(ModbusReadingText.format(reading, address: address, device: device), terminator: "")
            } catch {
                throw CommandFailure("\(device.name): \(error)")
            }
        }
    }
}
