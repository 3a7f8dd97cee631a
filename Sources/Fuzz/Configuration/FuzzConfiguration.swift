// libFuzzer target: build with
//   swift build -c release --sanitize=fuzzer -Xswiftc -DFUZZING --product fuzz-configuration
// Without FUZZING this is a replay tool: `fuzz-configuration FILE…` runs each file through the target.
import Foundation
import GatewayCore
import IEC61850Server
import IEC61850TestSupport

/// The input as a gateway configuration (YAML, any bytes); one that reads is built into a model from
/// its points, as `run` does without an SCL file, and its access rules' values go through the parsers
/// `run` hands them to (password hashes, networks).
func fuzzConfiguration(_ data: [UInt8]) {
    guard data.count < 200_000 else { return }
    let text = String(decoding: data, as: UTF8.self)
    // The redundancy section alone, as `role` and `health` read it.
    if let fragment = ConfigurationReader.redundancyFragment(of: text) {
        _ = try? ConfigurationReader.parse(fragment, file: "/nonexistent/fuzz.yaml", extensions: ["ext"])
    }
    guard let configuration = try? ConfigurationReader.parse(text, file: "/nonexistent/fuzz.yaml", extensions: ["ext"]) else { return }
    _ = try? ModelFromPoints.build(configuration)
    for rule in configuration.server.access?.rules ?? [] {
        _ = try? PasswordHash(rule.value)
        _ = IPNetwork(rule.value)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzConfiguration(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if !FUZZING
    @main
    struct Replay {
        static func main() { FuzzTargets.replay(CommandLine.arguments.dropFirst(), through: fuzzConfiguration) }
    }
#endif
