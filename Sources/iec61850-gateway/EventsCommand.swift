import ArgumentParser
import EventLog
import Foundation
import GatewayCore
import IEC61850Services

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "List the gateway's event log: value and quality changes, commands, field communication, associations and security events.",
        discussion: """
            Reads the event log database (the one `run` writes; it may be running). Times are UTC, ISO 8601 \
            (2026-11-26T10:00:00Z, or a date alone), or relative to now: -15m, -2h, -7d.

            Examples:
              iec61850-gateway events --from -1h
              iec61850-gateway events --kind command --format csv > commands.csv
              iec61850-gateway events --reference GenericIO/GGIO1 --from 2026-11-01 --to 2026-11-02 --format json
              iec61850-gateway events --event-log gw-a=a/events.sqlite --event-log gw-b=b/events.sqlite --from -1h

            With --event-log given more than once (the two nodes of a redundant pair: each keeps its own log), \
            the logs are merged by time and each event names its node: the name before = when given, else the \
            node's name from its role events, else the file's name.
            """
    )

    @Option(
        name: .customLong("event-log"),
        help: ArgumentHelp("The event log database (default: where `run` puts it); repeat to merge several, as [node=]file.", valueName: "file"))
    var eventLog: [String] = []

    @Option(name: .long, help: ArgumentHelp("Take the database path from this gateway configuration's event-log section.", valueName: "file"))
    var config: String?

    // Unconditional: a relative time starts with a minus (`--from -10m`), which would read as an option.
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Events at or after this time.", valueName: "time"))
    var from: String?

    // Unconditional: a relative time starts with a minus (`--to -10m`), which would read as an option.
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Events at or before this time.", valueName: "time"))
    var to: String?

    @Option(name: .long, help: ArgumentHelp("Events whose reference starts with this (an LD, LN, object or attribute; a device).", valueName: "ref"))
    var reference: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Only this kind (repeatable): value, quality, command, communication, association, security, storage, configuration, substitution, role.",
            valueName: "kind"))
    var kind: [String] = []

    @Option(name: .long, help: ArgumentHelp("text (the default), csv or json.", valueName: "format"))
    var format: String = "text"

    @Option(name: .long, help: ArgumentHelp("The most events listed (default 10000).", valueName: "n"))
    var limit: Int = 10_000

    func validate() throws {
        guard ["text", "csv", "json"].contains(format) else { throw ValidationError("--format '\(format)' is not one of text, csv, json") }
        for name in kind where GatewayEvent.Kind(rawValue: name) == nil {
            throw ValidationError("--kind '\(name)' is not one of \(GatewayEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        var files = eventLog.map(Self.labelled)
        if files.isEmpty {
            var path: String?
            if let config {
                do {
                    path = try ConfigurationReader.load(file: config, extensions: RunCommand.configurationExtensions).eventLog.path
                } catch {
                    throw ValidationError("\(error)")
                }
            }
            files = [(nil, path ?? EventLogLocation.defaultPath())]
        }
        for (_, file) in files where !FileManager.default.fileExists(atPath: file) {
            throw ValidationError("no event log at \(file) (name it with --event-log FILE)")
        }
        let now = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        var query = EventQuery(referencePrefix: reference, kinds: Set(kind.compactMap(GatewayEvent.Kind.init(rawValue:))))
        if let from {
            guard let time = EventTime.parse(from, now: now) else {
                throw ValidationError("--from '\(from)' is not a time (2026-11-26T10:00:00Z, 2026-11-26 or -2h)")
            }
            query.from = time
        }
        if let to {
            guard let time = EventTime.parse(to, now: now) else {
                throw ValidationError("--to '\(to)' is not a time (2026-11-26T10:00:00Z, 2026-11-26 or -2h)")
            }
            query.to = time
        }
        var events: [GatewayEvent] = []
        var nodes: [String]? = files.count > 1 || files.contains { $0.0 != nil } ? [] : nil
        for (label, file) in files {
            let storage = try SQLiteLogStorage(path: file)
            defer { storage.close() }
            let found = try storage.events(matching: query, limit: limit)
            events += found
            if nodes != nil {
                let name = try label ?? Self.nodeName(in: storage) ?? (file as NSString).lastPathComponent
                nodes! += Array(repeating: name, count: found.count)
            }
        }
        if var merged = nodes {
            // By time; within one millisecond, each log keeps its own order.
            let order = events.indices.sorted { (events[$0].timeMilliseconds, $0) < (events[$1].timeMilliseconds, $1) }.prefix(limit)
            (events, merged) = (order.map { events[$0] }, order.map { merged[$0] })
            nodes = merged
        }
        let output: String
        switch format {
        case "csv": output = EventExport.csv(events, nodes: nodes)
        case "json": output = try EventExport.json(events, nodes: nodes)
        default: output = EventExport.text(events, nodes: nodes)
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }

    /// `gw-a=/var/lib/a/events.sqlite` as its node name and file; a file alone has no name.
    static func labelled(_ argument: String) -> (String?, String) {
        guard let equals = argument.firstIndex(of: "="), !argument[..<equals].contains("/") else { return (nil, argument) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    /// The node a log belongs to, as its latest role event names it.
    static func nodeName(in storage: SQLiteLogStorage) throws -> String? {
        try storage.events(matching: EventQuery(kinds: [.role]), limit: 1, newest: true).first?.reference
    }
}
