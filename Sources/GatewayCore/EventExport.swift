import Foundation
import IEC61850Model
import IEC61850Services

/// The `events` command's output formats: aligned text for people, CSV for spreadsheets, JSON for tools.
public enum EventExport {
    /// The CSV columns, in order.
    public static let columns = ["id", "time", "kind", "reference", "value", "quality", "client", "origin", "ctlNum", "result", "cause", "detail"]

    /// RFC 4180 CSV with a header row; times in ISO 8601 UTC with milliseconds. With `nodes` (one per
    /// event: the events of a redundant pair's two logs, merged), a `node` column follows the time.
    public static func csv(_ events: [GatewayEvent], nodes: [String]? = nil) -> String {
        var lines = [header(nodes).joined(separator: ",")]
        for (index, event) in events.enumerated() {
            lines.append(fields(event, node: nodes?[index]).map(quoted).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A JSON array of objects with the CSV's column names (absent fields left out).
    public static func json(_ events: [GatewayEvent], nodes: [String]? = nil) throws -> String {
        let names = header(nodes)
        let objects: [[String: Any]] = events.enumerated().map { index, event in
            var object: [String: Any] = [:]
            for (name, value) in zip(names, fields(event, node: nodes?[index])) where !value.isEmpty {
                object[name] = name == "id" || name == "ctlNum" ? Int(value) ?? value : value
            }
            object["timeMs"] = event.timeMilliseconds
            return object
        }
        let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// One line per event: time, (node,) kind, reference, then what there is of the rest.
    public static func text(_ events: [GatewayEvent], nodes: [String]? = nil) -> String {
        events.enumerated().map { index, event in
            let values = fields(event)
            let node = nodes.map { "[\($0[index])] " } ?? ""
            var line = "\(values[1])  \(node)\(event.kind.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) \(event.reference)"
            for (name, value) in zip(columns, values).dropFirst(4) where !value.isEmpty { line += "  \(name)=\(value)" }
            return line + "\n"
        }.joined()
    }

    private static func header(_ nodes: [String]?) -> [String] {
        var names = columns
        if nodes != nil { names.insert("node", at: 2) }
        return names
    }

    private static func fields(_ event: GatewayEvent, node: String?) -> [String] {
        var values = fields(event)
        if let node { values.insert(node, at: 2) }
        return values
    }

    static func fields(_ event: GatewayEvent) -> [String] {
        [
            String(event.id), EventTime.format(event.timeMilliseconds), event.kind.rawValue, event.reference, event.value ?? "", event.quality ?? "",
            event.client ?? "", event.origin ?? "", event.controlNumber.map(String.init) ?? "", event.result ?? "", event.cause ?? "", event.detail ?? "",
        ]
    }

    private static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Times as the `events` command reads and writes them.
public enum EventTime {
    /// `2026-11-26T10:00:00.123Z`.
    /// Computed, not formatted by Foundation: the HTTP API writes tens of thousands a second.
    public static func format(_ milliseconds: UInt64) -> String {
        let (date, hour, minute, second, millis) = CivilDate.parts(ofMilliseconds: milliseconds)
        return "\(date.year)-\(date.paddedMonth)-\(date.paddedDay)T\(hour):\(minute):\(second).\(millis)Z"
    }

    /// ISO 8601 with or without fractional seconds, a date alone (midnight UTC), or relative to `now`
    /// (`-15m`, `-2h`, `-7d`, `-30s`); nil when it is none of these.
    public static func parse(_ text: String, now: UInt64) -> UInt64? {
        if text.hasPrefix("-"), let unit = text.last, let amount = UInt64(text.dropFirst().dropLast()) {
            let scale: UInt64? =
                switch unit {
                case "s": 1000
                case "m": 60_000
                case "h": 3_600_000
                case "d": 86_400_000
                default: nil
                }
            guard let scale else { return nil }
            let (span, overflow) = amount.multipliedReportingOverflow(by: scale)
            return overflow || span > now ? 0 : now - span
        }
        return ISO8601Time.milliseconds(text)
    }
}
