import ArgumentParser
import Foundation
import GatewayCore
import IEC61850Model

struct ExportSCLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-scl",
        abstract: "Write the IED model of a configuration as an ICD file for SCADA engineering tools.",
        discussion: """
            Without model.scl the gateway builds the model from the points (their cdc: and ctl-model: \\
            settings); export-scl writes that model as an ICD (SCL 2007B) with its DataTypeTemplates and \\
            the settings' values. With model.scl it writes the served model in the same form.

            Example:  iec61850-gateway export-scl --config mappings/examples/mqtt-sensor.yaml --output sensors.icd
            """
    )

    @Option(name: .long, help: ArgumentHelp("The gateway configuration (YAML).", valueName: "file"))
    var config: String

    @Option(name: .long, help: ArgumentHelp("Where to write the ICD (default: standard output).", valueName: "file"))
    var output: String?

    func run() throws {
        do {
            let configuration = try ConfigurationReader.load(file: config, extensions: RunCommand.configurationExtensions)
            let model = try ConfiguredModel.load(configuration, path: config)
            _ = try ConfigurationValidator.bind(configuration, to: model)
            let text = SCLWriter.icd(model, description: "exported from \(URL(fileURLWithPath: config).lastPathComponent)")
            if let output {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
                FileHandle.standardError.write(Data("\(output): IED \(model.name), \(model.logicalDevices.count) logical device(s)\n".utf8))
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        } catch let errors as ConfigurationErrors {
            FileHandle.standardError.write(Data((errors.description + "\n").utf8))
            throw ExitCode(1)
        }
    }
}
