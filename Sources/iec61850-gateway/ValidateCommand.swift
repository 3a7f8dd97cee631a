import ArgumentParser
import Foundation
import GatewayCore
import IEC61850Model

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a gateway configuration and its mapping files without touching the network.",
        discussion: """
            Reads the YAML configuration (and the files it includes) and the SCL model it names, and checks \
            every point: its reference exists in the model, its source and control route name a defined \
            device and a table and type that fit, no two points write the same attribute or read the same \
            address. Every problem is printed with its file, line and point; the exit status is 1 if there \
            is any.

            Example:  iec61850-gateway validate --config mappings/examples/energy-meter.yaml
            """
    )

    @Option(name: .long, help: ArgumentHelp("The gateway configuration (YAML).", valueName: "file"))
    var config: String

    func run() throws {
        do {
            let configuration = try ConfigurationReader.load(file: config)
            let model = try ConfiguredModel.load(configuration, path: config)  // no SCL: the points describe it
            let bindings = try ConfigurationValidator.bind(configuration, to: model)
            let controls = bindings.filter { $0.point.control != nil }.count
            print(
                "\(config): valid: IED \(model.name), \(configuration.modbusDevices.count) Modbus device(s), \(bindings.count) point(s), \(controls) with a control route"
            )
        } catch let errors as ConfigurationErrors {
            FileHandle.standardError.write(Data((errors.description + "\n").utf8))
            throw ExitCode(1)
        }
    }
}
