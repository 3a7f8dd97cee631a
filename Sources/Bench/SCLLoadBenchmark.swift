import Foundation
import IEC61850Model

/// Loading an SCL file as the gateway does at start: parse, pick the IED, build its model. Each load is
/// timed on its own; the peak resident size (VmHWM) is the process's, all loads included.
enum SCLLoadBenchmark {
    static func run(path: String, ied: String?, repeat count: Int) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("cannot read \(path)") }
        var seconds: [Double] = []
        var model: IedModel?
        for _ in 0..<max(1, count) {
            let start = ContinuousClock.now
            model = try SCLLoader(iedName: ied).load(data: data, fileName: path)
            let elapsed = ContinuousClock.now - start
            seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        seconds.sort()
        let devices = model?.logicalDevices.count ?? 0
        print("SCL load of \(path) (\(format(Double(data.count) / 1e6)) MB), IED \(model?.name ?? "?") with \(devices) logical devices, \(seconds.count) loads")
        print(
            "  min \(format(seconds.first ?? 0, 3)) s, median \(format(seconds[seconds.count / 2], 3)) s, max \(format(seconds.last ?? 0, 3)) s; peak RSS \(peakResidentMiB()) MiB"
        )
    }

    /// VmHWM of this process, in MiB.
    static func peakResidentMiB() -> String {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kib = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({ Double($0) })
        else { return "?" }
        return format(kib / 1024)
    }
}
