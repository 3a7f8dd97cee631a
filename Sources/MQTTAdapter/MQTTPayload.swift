import Foundation
import GatewayCore
import IEC61850Model

/// Reading a value (and optionally its time and quality) out of an MQTT payload: a plain number,
/// boolean or text, or JSON with dotted paths (`value`, `data.power`, `$.value`, `values.0`).
public enum MQTTPayload {
    public struct Reading: Sendable, Equatable {
        public var value: FieldValue?
        public var time: Timestamp?
        /// False when the payload's own quality says the value is not good.
        public var good = true
    }

    /// A JSON value as decoded (booleans, integers and other numbers kept apart).
    indirect enum JSON: Decodable {
        case null, bool(Bool), integer(Int64), number(Double), string(String), array([JSON]), object([String: JSON])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let flag = try? container.decode(Bool.self) {
                self = .bool(flag)
            } else if let integer = try? container.decode(Int64.self) {
                self = .integer(integer)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else if let text = try? container.decode(String.self) {
                self = .string(text)
            } else if let array = try? container.decode([JSON].self) {
                self = .array(array)
            } else {
                self = .object(try container.decode([String: JSON].self))
            }
        }
    }

    public static func read(_ payload: [UInt8], source: GatewayConfiguration.MQTTSource) -> Reading {
        let text = String(decoding: payload, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard source.valuePath != nil || source.timePath != nil || source.qualityPath != nil else { return Reading(value: plain(text)) }
        guard let json = try? JSONDecoder().decode(JSON.self, from: Data(payload)) else { return Reading(value: nil) }
        var reading = Reading(value: field(source.valuePath.map { lookup(json, $0) } ?? json))
        if let path = source.timePath { reading.time = lookup(json, path).flatMap(time) }
        if let path = source.qualityPath, let quality = lookup(json, path) { reading.good = good(quality) }
        return reading
    }

    static func plain(_ text: String) -> FieldValue? {
        if text.isEmpty { return nil }
        if let integer = Int64(text) { return .integer(integer) }
        if let number = Double(text) { return .double(number) }
        switch text.lowercased() {
        case "true", "on": return .bool(true)
        case "false", "off": return .bool(false)
        default: return .string(text)
        }
    }

    static func lookup(_ json: JSON, _ path: String) -> JSON? {
        var current = json
        let trimmed = path.hasPrefix("$.") ? String(path.dropFirst(2)) : path
        for key in trimmed.split(separator: ".") {
            switch current {
            case .object(let object):
                guard let next = object[String(key)] else { return nil }
                current = next
            case .array(let array):
                guard let index = Int(key), array.indices.contains(index) else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }

    static func field(_ value: JSON?) -> FieldValue? {
        switch value {
        case .bool(let flag): .bool(flag)
        case .integer(let number): .integer(number)
        case .number(let number): .double(number)
        case .string(let text): plain(text)
        default: nil
        }
    }

    /// Seconds or milliseconds since 1970 (numbers above 10^11 are milliseconds), or ISO 8601 text.
    static func time(_ value: JSON) -> Timestamp? {
        let seconds: Double
        switch value {
        case .integer(let number): seconds = Double(number)
        case .number(let number): seconds = number
        case .string(let text):
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            guard let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) else { return nil }
            seconds = date.timeIntervalSince1970
        default: return nil
        }
        let normalized = seconds > 1e11 ? seconds / 1000 : seconds
        return normalized > 0 ? Timestamp(millisecondsSinceEpoch: UInt64(normalized * 1000)) : nil
    }

    static func good(_ value: JSON) -> Bool {
        switch value {
        case .bool(let flag): flag
        case .integer(let number): number == 0
        case .string(let text): ["good", "ok", "valid", "true", "0"].contains(text.lowercased())
        default: false
        }
    }
}
