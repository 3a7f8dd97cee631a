import Foundation
import IEC61850Model
import Testing

@testable import GatewayCore
@testable import MQTTAdapter

@Suite("MQTT payloads from anyone: never a trap, a problem in words instead")
struct MQTTPayloadTests {
    static let json = GatewayConfiguration.MQTTSource(topic: "t", valuePath: "value", timePath: "ts", qualityPath: "q")

    static func read(_ text: String, _ source: GatewayConfiguration.MQTTSource = json) -> MQTTPayload.Reading {
        MQTTPayload.read(Array(text.utf8), source: source)
    }

    @Test(
        "a time that does not fit a UtcTime is a problem, not a trap",
        arguments: ["1e300", "-1", "1.8e19", "18446744073709551615", "-9223372036854775808", "4294967296", "\"+99999-01-01T00:00:00Z\"", "\"soon\""])
    func absurdTimes(time: String) {
        let reading = Self.read(#"{"value": 1, "ts": \#(time)}"#)
        #expect(reading.value == nil)
        #expect(reading.problem?.contains("time") == true)
    }

    @Test("good times in seconds, milliseconds and ISO 8601 still read")
    func goodTimes() {
        #expect(Self.read(#"{"value": 1, "ts": 1700000000}"#).time == Timestamp(millisecondsSinceEpoch: 1_700_000_000_000))
        #expect(Self.read(#"{"value": 1, "ts": 1700000000123}"#).time == Timestamp(millisecondsSinceEpoch: 1_700_000_000_123))
        #expect(Self.read(#"{"value": 1, "ts": "2023-11-14T22:13:20Z"}"#).time == Timestamp(millisecondsSinceEpoch: 1_700_000_000_000))
    }

    @Test("malformed JSON, a missing value and a value of the wrong kind are problems in words")
    func malformed() {
        #expect(Self.read(#"{"value": "#).problem == "not JSON")
        #expect(Self.read(#"{"other": 1}"#).problem == "no value at 'value'")
        #expect(Self.read(#"{"value": [1, 2]}"#).problem == "the value is not a number, boolean or text")
        // null is the device saying it has no value: the source's failure, not a decoding problem.
        let null = Self.read(#"{"value": null}"#)
        #expect(null.value == nil && null.problem == nil)
    }

    @Test("nesting past the limit is refused before parsing; strings with brackets do not count")
    func nesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(Self.read(#"{"value": \#(deep)}"#).problem == "JSON nested deeper than 64 levels")
        #expect(Self.read(#"{"value": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]"}"#).value != nil)
    }

    @Test("invalid UTF-8 and binary garbage are read as text or refused, never trap")
    func invalidUTF8() {
        let garbage: [UInt8] = [0xFF, 0xFE, 0x80, 0x00, 0xC3, 0x28, 0x7B, 0x22]
        #expect(MQTTPayload.read(garbage, source: Self.json).problem == "not JSON")
        #expect(MQTTPayload.read(garbage, source: GatewayConfiguration.MQTTSource(topic: "t")).value != nil)
    }

    @Test("a message is parsed once however many points read it")
    func parsedOnce() {
        var message = MQTTPayload.Message(Array(#"{"a": 1, "b": 2.5}"#.utf8))
        let a = MQTTPayload.read(&message, source: .init(topic: "t", valuePath: "a"))
        let b = MQTTPayload.read(&message, source: .init(topic: "t", valuePath: "b"))
        #expect(a.value == .integer(1) && b.value == .double(2.5))
        #expect(message.parses == 1)
    }
}
