import Foundation
import GatewayCore
import IEC61850Model

/// Reading a value (and optionally its time and quality) out of an MQTT payload: a plain number,
/// boolean or text, or JSON with dotted paths (`value`, `data.power`, `$.value`, `values.0`).
///
/// Payloads come from anyone who may publish on the broker, so nothing here traps: a payload that does not
/// decode, a time that is no time, nesting past ``maximumNesting``, become a ``Reading/problem``.
public enum MQTTPayload {
    /// JSON nested deeper than this is refused before it is parsed (a recursive parser's stack is bounded).
    public static let maximumNesting = 64

    public struct Reading: Sendable, Equatable {
        public var value: FieldValue?
        public var time: Timestamp?
        /// False when the payload's own quality says the value is not good.
        public var good = true
        /// Why the payload could not be read, when it could not.
        public var problem: String?
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

    /// One message's payload, decoded at most once however many points read it.
    public struct Message {
        let bytes: [UInt8]
        /// nil until a point needs JSON; then the document or why it is none.
        private var json: Result<JSON, ProblemText>?
        /// How often the payload was parsed as JSON (at most once).
        private(set) var parses = 0

        public init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        /// The payload as JSON, parsed on first use.
        mutating func document() -> Result<JSON, ProblemText> {
            if let json { return json }
            let parsed = MQTTPayload.parse(bytes)
            parses += 1
            json = parsed
            return parsed
        }

        /// The payload as trimmed text (invalid UTF-8 becomes U+FFFD, never a trap).
        var text: String { String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// A problem as words, carried in a `Result`.
    struct ProblemText: Error {
        let text: String
    }

    /// Reads one point's value out of a payload.
    public static func read(_ payload: [UInt8], source: GatewayConfiguration.MQTTSource) -> Reading {
        var message = Message(payload)
        return read(&message, source: source)
    }

    /// Reads one point's value out of a message that other points of the topic may read too.
    public static func read(_ message: inout Message, source: GatewayConfiguration.MQTTSource) -> Reading {
        guard source.valuePath != nil || source.timePath != nil || source.qualityPath != nil else { return Reading(value: plain(message.text)) }
        let json: JSON
        switch message.document() {
        case .success(let document): json = document
        case .failure(let problem): return Reading(value: nil, problem: problem.text)
        }
        var reading = Reading(value: nil)
        if let path = source.valuePath {
            guard let found = lookup(json, path) else { return Reading(value: nil, problem: "no value at '\(path)'") }
            reading.value = field(found)
        } else {
            reading.value = field(json)
        }
        if reading.value == nil {
            // A null value is the device saying it has none (a failed sensor): the source's failure quality.
            if case .null = source.valuePath.flatMap({ lookup(json, $0) }) ?? json { return Reading(value: nil) }
            return Reading(value: nil, problem: "the value is not a number, boolean or text")
        }
        if let path = source.timePath, let found = lookup(json, path) {
            guard let time = time(found) else { return Reading(value: nil, problem: "the time at '\(path)' is not a time between 1970 and 2106") }
            reading.time = time
        }
        if let path = source.qualityPath, let quality = lookup(json, path) { reading.good = good(quality) }
        return reading
    }

    /// Parses a payload as JSON, refusing nesting past ``maximumNesting`` before the parser sees it.
    static func parse(_ bytes: [UInt8]) -> Result<JSON, ProblemText> {
        guard nesting(of: bytes) <= maximumNesting else { return .failure(ProblemText(text: "JSON nested deeper than \(maximumNesting) levels")) }
        do {
            return .success(try JSONDecoder().decode(JSON.self, from: Data(bytes)))
        } catch {
            return .failure(ProblemText(text: "not JSON"))
        }
    }

    /// The deepest nesting of arrays and objects, outside strings (a bound, not a validation).
    static func nesting(of bytes: [UInt8]) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
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

    /// Seconds or milliseconds since 1970 (numbers above 10^11 are milliseconds), or ISO 8601 text; nil
    /// for anything a UtcTime cannot hold (not finite, before 1970, past 2106).
    static func time(_ value: JSON) -> Timestamp? {
        let seconds: Double
        switch value {
        case .integer(let number): seconds = Double(number)
        case .number(let number): seconds = number
        case .string(let text):
            // Not ISO8601DateFormatter: ICU traps on some texts (see ISO8601Time).
            guard let milliseconds = ISO8601Time.milliseconds(text) else { return nil }
            seconds = Double(milliseconds) / 1000
        default: return nil
        }
        let normalized = seconds > 1e11 ? seconds / 1000 : seconds
        guard normalized.isFinite, normalized > 0, normalized < Double(UInt32.max) else { return nil }
        return Timestamp(millisecondsSinceEpoch: UInt64(normalized * 1000))
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
