// libFuzzer target: build with
//   swift build -c release --sanitize=fuzzer -Xswiftc -DFUZZING --product fuzz-mqtt-payload
// Without FUZZING this is a replay tool: `fuzz-mqtt-payload FILE…` runs each file through the target.
import Foundation
import GatewayCore
import IEC61850Model
import IEC61850TestSupport
import MQTTAdapter

/// The first byte picks which paths the point reads (value, time, quality, nested or array paths); the
/// rest is the payload. The reading then goes through every attribute type's conversion, as a point's
/// would.
func fuzzMQTTPayload(_ data: [UInt8]) {
    guard let selector = data.first else { return }
    let payload = Array(data.dropFirst())
    let paths: [String?] = [nil, "value", "data.power", "$.v", "values.0", "a.b.c.d"]
    let source = GatewayConfiguration.MQTTSource(
        topic: "t", valuePath: paths[Int(selector) % paths.count], timePath: selector & 0x08 != 0 ? "ts" : nil,
        qualityPath: selector & 0x10 != 0 ? "q" : nil)
    var message = MQTTPayload.Message(payload)
    for _ in 0..<2 {  // a second point of the same topic reads the parsed message again
        let reading = MQTTPayload.read(&message, source: source)
        guard let value = reading.value else { continue }
        let transform = PointTransform(scale: selector & 0x20 != 0 ? 1e300 : 1, offset: selector & 0x40 != 0 ? -1 : 0, invert: selector & 0x80 != 0)
        for type in [
            BasicType.boolean, .int8, .int16, .int32, .int64, .int8u, .int16u, .int24u, .int32u, .float32, .float64, .visibleString(maxLength: 64), .dbpos,
        ] {
            _ = transform.apply(value, to: type)
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzMQTTPayload(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if !FUZZING
    @main
    struct Replay {
        static func main() { FuzzTargets.replay(CommandLine.arguments.dropFirst(), through: fuzzMQTTPayload) }
    }
#endif
