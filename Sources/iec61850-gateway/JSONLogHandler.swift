import Foundation
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
            "time": Self.timestamp(), "level": event.level.rawValue, "label": label, "message": "\(event.message)", "source": event.source,
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if !merged.isEmpty { fields["metadata"] = merged.mapValues { "\($0)" } }
        guard var line = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line.append(0x0A)
        FileHandle.standardError.write(line)
    }

    /// UTC with milliseconds: `2026-12-04T23:54:17.123Z`.
    private static func timestamp() -> String {
        let now = Date()
        var seconds = time_t(now.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let milliseconds = Int((now.timeIntervalSince1970 - Double(seconds)) * 1000)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = String(milliseconds + 1000).dropFirst()
        return
            "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }
}
