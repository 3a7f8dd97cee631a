import IEC61850Model
import Synchronization

/// Logs kept in memory, bounded per log (the oldest entries go first). What a server uses when no
/// storage is configured; entries are lost when the process ends. For durable logs use the `EventLog`
/// module's SQLite storage.
public final class InMemoryLogStorage: LogStorage {
    private struct Log {
        var entries: [LogEntry] = []
        /// Index of the oldest entry in `entries` (older ones are dropped in chunks).
        var start = 0
        var newest: UInt64 = 0
        var live: ArraySlice<LogEntry> { entries[start...] }
    }

    public let maximumEntries: Int
    private let logs = Mutex<[String: Log]>([:])

    public init(maximumEntries: Int = 10_000) {
        self.maximumEntries = max(1, maximumEntries)
    }

    public func append(log: String, time: Timestamp, values: [LogEntry.Value]) -> UInt64 {
        logs.withLock { logs in
            var current = logs.removeValue(forKey: log) ?? Log()
            current.newest += 1
            current.entries.append(LogEntry(entryID: current.newest, time: time, values: values))
            if current.entries.count - current.start > maximumEntries { current.start += 1 }
            if current.start > maximumEntries {  // compact now and then, not on every append
                current.entries.removeFirst(current.start)
                current.start = 0
            }
            logs[log] = current
            return current.newest
        }
    }

    public func entries(log: String, matching query: LogQuery, limit: Int) throws -> [LogEntry] {
        logs.withLock { logs in
            guard let current = logs[log] else { return [] }
            var result: [LogEntry] = []
            for entry in current.live where query.matches(entry) {
                guard result.count < limit else { break }
                result.append(entry)
            }
            return result
        }
    }

    public func bounds(log: String) -> LogBounds? {
        logs.withLock { logs in
            guard let live = logs[log]?.live, let first = live.first, let last = live.last else { return nil }
            return LogBounds(oldest: first.entryID, oldestTime: first.time, newest: last.entryID, newestTime: last.time)
        }
    }
}

extension LogQuery {
    /// Whether an entry falls in the query's time range and after its entry.
    public func matches(_ entry: LogEntry) -> Bool {
        let time = entry.time.millisecondsSinceEpoch
        if let from, time < from.millisecondsSinceEpoch { return false }
        if let to, time > to.millisecondsSinceEpoch { return false }
        if let afterEntry, entry.entryID <= afterEntry { return false }
        return true
    }
}
