import Foundation
import GatewayCore
import IEC61850Model
import Logging

/// Writes each log message as one line of JSON to standard error, for log collectors (journald with
/// a JSON parser, Loki, Elastic): `{"time":"…","level":"warning","label":"…","message":"…",
/// "source":"MQTTAdapter","metadata":{"broker":"…"}}`.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: Any] = [
            "time": EventTime.format(currentMilliseconds()), "level": event.level.rawValue, "label": label, "message": "\(event.message)",
            "source": event.source,
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if !merged.isEmpty { fields["metadata"] = merged.mapValues { "\($0)" } }
        guard var line = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line.append(0x0A)
        FileHandle.standardError.write(line)
    }
}
