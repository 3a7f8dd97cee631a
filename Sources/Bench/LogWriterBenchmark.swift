import EventLog
import Foundation
import IEC61850Model
import IEC61850Server

/// Appends log entries at a steady rate (or as fast as it can), with a command event (detail `RUN:k`)
/// for each batch, and prints, after each flush, the newest entry identifier and the last event known to
/// be committed: `committed N events K`. The kill test stops it with SIGKILL (again and again on the
/// same file) and then checks the file; run alone it reports the sustained rate.
enum LogWriterBenchmark {
    static func run(path: String, rate: Int?, seconds: Double, maximumEntries: Int, label: String = "0") throws {
        let storage = try SQLiteLogStorage(path: path, maximumEntries: maximumEntries)
        let values = [
            LogEntry.Value(reference: "DEMOGenericIO/GGIO1.Ind1.stVal[ST]", values: [.boolean(true)], reasonCode: 0x40),
            LogEntry.Value(reference: "DEMOGenericIO/GGIO1.Ind1.q[ST]", values: [.quality(Quality())], reasonCode: 0x40),
        ]
        let start = DispatchTime.now().uptimeNanoseconds
        var appended = 0
        var events = 0
        while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds {
            let batch = rate.map { max(1, $0 / 100) } ?? 1_000
            var newest: UInt64 = 0
            for _ in 0..<batch { newest = storage.append(log: "DEMOGenericIO/LLN0$EventLog", time: .now(), values: values) }
            appended += batch
            events += 1
            storage.record(
                GatewayEvent(
                    timeMilliseconds: currentMilliseconds(), kind: .command, reference: "GenericIO/GGIO1.SPCSO1", value: "true",
                    controlNumber: events % 256, result: "success", detail: "\(label):\(events)"))
            if let rate {
                let due = start + UInt64(Double(appended) / Double(rate) * 1e9)
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { usleep(UInt32((due - now) / 1_000)) }
            }
            if appended % 10_000 < batch {
                try storage.flush()
                // Unbuffered: the kill test reads it.
                FileHandle.standardOutput.write(Data("committed \(newest) events \(events)\n".utf8))
            }
        }
        try storage.flush()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("appended \(appended) entries in \(String(format: "%.1f", elapsed)) s: \(Int(Double(appended) / elapsed)) entries/s")
        storage.close()
    }
}
