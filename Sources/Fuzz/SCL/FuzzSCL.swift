// libFuzzer target: build with
//   swift build -c release --sanitize=fuzzer -Xswiftc -DFUZZING --product fuzz-scl
// Without FUZZING this is a replay tool: `fuzz-scl FILE…` runs each file through the target.
import Foundation
import IEC61850Model
import IEC61850Server
import IEC61850TestSupport

/// The input as an SCL file; a model that loads is served (its MMS namespace, report and log control
/// blocks and data sets are built) and written back as an ICD.
func fuzzSCL(_ data: [UInt8]) {
    guard data.count < 500_000, let model = try? SCLLoader().load(data: Data(data), fileName: "fuzz.icd") else { return }
    _ = IedServer(model: model)
    _ = SCLWriter.icd(model)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzSCL(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if !FUZZING
    @main
    struct Replay {
        static func main() { FuzzTargets.replay(CommandLine.arguments.dropFirst(), through: fuzzSCL) }
    }
#endif
