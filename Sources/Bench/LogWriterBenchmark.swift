import EventLog
import Foundation
import IEC61850Model
import IEC61850Server

/// Appends log entries at a steady rate (or as fast as it can) and prints, after each flush, the newest
/// entry identifier known to be committed: `committed N`. The kill test stops it with SIGKILL and then
/// checks the file; run alone it reports the sustained rate and flush latency.
enum LogWriterBenchmark {
    static func run(path: String, rate: Int?, seconds: Double, maximumEntries: Int) throws {
        let storage = try SQLiteLogStorage(path: path, maximumEntries: maximumEntries)
        let values = [
            LogEntry.Value(reference: "DEMOGenericIO/GGIO1$ST$Ind1$stVal", data: [0x83, 0x01, 0xFF], reasonCode: 0x40),
            LogEntry.Value(reference: "DEMOGenericIO/GGIO1$ST$Ind1$q", data: [0x84, 0x03, 0x03, 0x00, 0x00], reasonCode: 0x40),
        ]
        let start = DispatchTime.now().uptimeNanoseconds
        var appended = 0
        while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds {
            let batch = rate.map { max(1, $0 / 100) } ?? 1_000
            var newest: UInt64 = 0
            for _ in 0..<batch { newest = storage.append(log: "DEMOGenericIO/LLN0$EventLog", time: .now(), values: values) }
            appended += batch
            if let rate {
                let due = start + UInt64(Double(appended) / Double(rate) * 1e9)
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { usleep(UInt32((due - now) / 1_000)) }
            }
            if appended % 10_000 < batch {
                try storage.flush()
                FileHandle.standardOutput.write(Data("committed \(newest)\n".utf8))  // unbuffered: the kill test reads it
            }
        }
        try storage.flush()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("appended \(appended) entries in \(String(format: "%.1f", elapsed)) s: \(Int(Double(appended) / elapsed)) entries/s")
        storage.close()
    }
}
