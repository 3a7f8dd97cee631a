import ArgumentParser
import Foundation
import GatewayCore
import IEC61850Model
import IEC61850Server
import Logging

struct ConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Write the PICS, PIXIT and MICS of a configuration, as the gateway would serve it.",
        discussion: """
            Every supported service comes from what the server would answer (the MMS services it offers and \\
            the model's control blocks, logs and controllable objects), and every limit is the configured \\
            or built-in value. Writes PICS.md, PIXIT.md, MICS.md and conformance.html (all three on one \\
            self-contained page) into the output folder, or the Markdown to standard output.

            Example:  iec61850-gateway conformance --config /etc/iec61850-gateway/gateway.yaml --output statements
            """
    )

    @Option(name: .long, help: ArgumentHelp("The gateway configuration (YAML).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("An SCL file served without a configuration (or overriding its model.scl).", valueName: "file"))
    var scl: String?

    @Option(name: .long, help: ArgumentHelp("The IED of an SCD to serve.", valueName: "name"))
    var ied: String?

    @Option(name: .long, help: ArgumentHelp("The folder to write the statements to (default: Markdown on standard output).", valueName: "folder"))
    var output: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A namespace definition (NSD) file to check the MICS against, such as IEC 61850-7-4's and 7-3's from the IEC (repeat for several).",
            valueName: "file"))
    var nsd: [String] = []

    func run() throws {
        let namespaces: [NamespaceDefinition]
        do {
            namespaces = try nsd.map { path throws(SCLError) in try NamespaceDefinition(file: path) }
        } catch {
            throw CommandFailure("\(error)")
        }
        let statement = try Self.statement(config: config, scl: scl, ied: ied, namespaces: namespaces)
        let generated = EventTime.format(currentMilliseconds()).prefix(10)
        let documents = ConformanceDocuments.markdown(statement, generated: String(generated))
        guard let output else {
            for document in documents { FileHandle.standardOutput.write(Data((document.text + "\n").utf8)) }
            return
        }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        for document in documents { try document.text.write(toFile: output + "/" + document.name, atomically: true, encoding: .utf8) }
        try ConformanceDocuments.html(statement, generated: String(generated)).write(
            toFile: output + "/conformance.html", atomically: true, encoding: .utf8)
        FileHandle.standardError.write(Data("\(output): PICS.md, PIXIT.md, MICS.md, conformance.html for IED \(statement.iedName)\n".utf8))
    }

    /// The statements of what `run` would serve with these arguments (nothing is opened or started).
    static func statement(config: String?, scl: String?, ied: String?, namespaces: [NamespaceDefinition] = []) throws -> ConformanceStatement {
        var arguments = ["--event-log", "none"]
        if let config { arguments += ["--config", config] }
        if let scl { arguments += ["--scl", scl] }
        if let ied { arguments += ["--ied", ied] }
        let run = try RunCommand.parse(arguments)
        var file: GatewayConfiguration?
        if let config {
            do {
                file = try ConfigurationReader.load(file: config, extensions: RunCommand.configurationExtensions)
            } catch {
                throw CommandFailure("\(error)")
            }
        }
        let quiet = Logger(label: "conformance", factory: { _ in SwiftLogNoOpLogHandler() })
        let plan = try run.serverPlan(file, logger: quiet, forStatements: true)
        var configuration = plan.configuration
        if let files = try run.fileSettings(file?.files) {
            configuration.files = files
            // `run` offers the event log's days when it keeps an event log.
            if (file?.files?.logDays ?? 7) > 0 && file?.eventLog.path != "none" {
                configuration.fileSources["LOG"] = StaticFileSource(files: [:], modified: 0)
            }
        }
        let statement = IedServer(model: plan.model, configuration: configuration, logger: quiet).conformance(namespaces: namespaces)
        // What `run` keeps its logs in: the event log's SQLite database unless `event-log: {path: none}`.
        let path = file?.eventLog.path
        guard path != "none" else { return statement }
        let entries = file?.eventLog.maximumLogEntries ?? 100_000
        return statement.replacing(
            section: "Logging", name: "Log storage",
            with: "SQLite database \(path ?? "(the event log)"), at most \(entries) entries per log, kept across restarts")
    }
}
