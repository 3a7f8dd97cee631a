// libFuzzer target: build with
//   swift build -c release --sanitize=fuzzer -Xswiftc -DFUZZING --product fuzz-log-values
// Without FUZZING this is a replay tool: `fuzz-log-values FILE…` runs each file through the target.
import EventLog
import Foundation
import IEC61850TestSupport

/// The input as the values column of a log entry in a database someone else wrote: decoded as the
/// storage does, then encoded into a ReadJournal response as the server would send it; and as a column
/// of the older form (schema 3), converted as the server converts such entries when it starts.
func fuzzLogValues(_ data: [UInt8]) {
    let values = LogValueCoding.decode(data)
    FuzzTargets.journal(values)
    _ = LogValueCoding.encode(values)
    FuzzTargets.legacyLogValues(LogValueCoding.decodeLegacy(data))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzLogValues(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if !FUZZING
    @main
    struct Replay {
        static func main() { FuzzTargets.replay(CommandLine.arguments.dropFirst(), through: fuzzLogValues) }
    }
#endif
