import ArgumentParser
import Foundation
import GatewayCore
import IEC61850Model
import IEC61850Server

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a gateway configuration and its mapping files without touching the network.",
        discussion: """
            Reads the YAML configuration (and the files it includes) and the SCL model it names, and checks \
            the TLS files of server: tls: (they exist, parse, the key fits the certificate, nothing has \
            expired; a certificate that expires within 30 days is a warning), and every point: its \
            reference exists in the model, its source and control route name a defined \
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
            let configuration = try ConfigurationReader.load(file: config, extensions: RunCommand.configurationExtensions)
            let model = try ConfiguredModel.load(configuration, path: config)  // no SCL: the points describe it
            let bindings = try ConfigurationValidator.bind(configuration, to: model)
            let controls = bindings.filter { $0.point.control != nil }.count
            if let tls = configuration.server.tls { try checkTLS(tls) }
            // Each adapter reads its own sections as it is made (nothing connects until it starts).
            for kind in RunCommand.adapterKinds {
                do {
                    _ = try kind.make(configuration) { _ in }
                } catch let errors as ConfigurationErrors {
                    throw errors
                } catch {
                    FileHandle.standardError.write(Data("\(config): \(error)\n".utf8))
                    throw ExitCode(1)
                }
            }
            print(
                "\(config): valid: IED \(model.name), \(configuration.modbusDevices.count) Modbus device(s), \(bindings.count) point(s), \(controls) with a control route"
            )
        } catch let errors as ConfigurationErrors {
            FileHandle.standardError.write(Data((errors.description + "\n").utf8))
            throw ExitCode(1)
        }
    }

    /// Reads the TLS files as the server would; an error names the file and the setting's line, a
    /// certificate that expires within 30 days is a warning.
    private func checkTLS(_ tls: GatewayConfiguration.TLS) throws {
        guard let settings = TLSSettings(tls) else { return }  // no certificate or key: the reader reported it
        do {
            for warning in try settings.check() {
                FileHandle.standardError.write(Data("\(tls.location.file):\(tls.location.line): warning: server.tls: \(warning)\n".utf8))
            }
        } catch {
            FileHandle.standardError.write(Data("\(tls.location.file):\(tls.location.line): server.tls: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
