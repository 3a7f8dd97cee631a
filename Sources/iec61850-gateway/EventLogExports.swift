import EventLog
import Foundation
import GatewayCore
import IEC61850Model
import IEC61850Server
import Logging
import Synchronization

/// The event log's days as CSV files, `LOG/events-YYYY-MM-DD.csv` (UTC days, the `events --format csv`
/// columns), offered over the file services.
///
/// The files are written to a folder beside the event log and brought up to date in the background
/// every few seconds, appending only the events since the last pass: a listing never waits for the
/// database, and a busy day is read once. A day file holds at most ``maximumEventsPerDay`` events.
final class EventLogExports: FileSource, Sendable {
    /// The most events one day's file takes; the rest of that day is left to `events`.
    static let maximumEventsPerDay = 1_000_000

    private struct Export {
        var path: String
        var lastID: Int64
        var count: Int
        var size: UInt64
        var modified: UInt64
    }

    private let storage: SQLiteLogStorage
    private let folder: String
    private let days: Int
    private let exports = Mutex<[String: Export]>([:])
    /// Past days already read to their end.
    private let completed = Mutex<Set<String>>([])
    private let running = Mutex(true)
    private let logger: Logger

    /// Starts bringing the exports up to date every `interval`, the first pass at once, on a thread of
    /// its own until ``stop()``.
    init(storage: SQLiteLogStorage, folder: String, days: Int, interval: Duration = .seconds(5), logger: Logger) throws {
        self.storage = storage
        self.folder = folder
        self.days = days
        self.logger = logger
        // Made afresh at each start: what was written before may be ahead of or behind the database.
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        let thread = Thread { [self] in
            var next = ContinuousClock.now
            while running.withLock({ $0 }) {
                if ContinuousClock.now >= next {
                    refresh(now: currentMilliseconds())
                    next = ContinuousClock.now + interval
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        thread.name = "log exports"
        thread.start()
    }

    func stop() { running.withLock { $0 = false } }

    func entries() -> [FileEntry] {
        exports.withLock { $0.map { FileEntry(name: $0.key, size: $0.value.size, modified: $0.value.modified) } }
    }

    func contents(of name: String) -> FileContent? {
        exports.withLock { $0[name] }.map { .file(path: $0.path) }
    }

    /// Appends each recent day's new events to its file and forgets the days that fell out of the window.
    /// A past day is read once (no event is recorded with an earlier day's time later); today is read
    /// from the last event it took, or from the last event of the days before, so no pass scans the
    /// whole table.
    func refresh(now: UInt64) {
        let today = now / 86_400_000
        var wanted: Set<String> = []
        var floor: Int64 = 0
        for day in (today - min(today, UInt64(max(days, 1) - 1))...today) {
            let name = Self.name(ofDay: day)
            wanted.insert(name)
            if day < today, completed.withLock({ $0.contains(name) }) {
                floor = max(floor, exports.withLock { $0[name]?.lastID } ?? floor)
                continue
            }
            do {
                let last = try append(day: day, name: name, floor: floor)
                floor = max(floor, last)
                if day < today { completed.withLock { _ = $0.insert(name) } }
            } catch {
                logger.warning("event log export \(name) not brought up to date: \(error)")
            }
        }
        let gone = exports.withLock { exports in
            let old = exports.filter { !wanted.contains($0.key) }
            for name in old.keys { exports.removeValue(forKey: name) }
            return old.values.map(\.path)
        }
        completed.withLock { $0.formIntersection(wanted) }
        for path in gone { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Appends the day's events after `floor` and after the last one it took; returns the last event's id.
    private func append(day: UInt64, name: String, floor: Int64) throws -> Int64 {
        var export = exports.withLock { $0[name] } ?? Export(path: folder + "/" + name, lastID: 0, count: 0, size: 0, modified: 0)
        var query = EventQuery(from: day * 86_400_000, to: (day + 1) * 86_400_000 - 1)
        while export.count < Self.maximumEventsPerDay {
            query.afterID = max(export.lastID, floor)
            let events = try storage.events(matching: query, limit: min(10_000, Self.maximumEventsPerDay - export.count), waitForQueued: false)
            guard let last = events.last else { break }
            var bytes = Array(EventExport.csv(events).utf8)
            if export.size > 0, let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) { bytes.removeFirst(newline + 1) }  // the header once
            try Self.write(Data(bytes), to: export.path, appending: export.size > 0)
            export.size += UInt64(bytes.count)
            export.count += events.count
            export.lastID = last.id
            export.modified = last.timeMilliseconds
            // Kept after each write: a later page that fails must not make this one be written again.
            exports.withLock { [export] in $0[name] = export }
        }
        return export.lastID
    }

    private static func write(_ data: Data, to path: String, appending: Bool) throws {
        guard appending, let handle = FileHandle(forWritingAtPath: path) else {
            try data.write(to: URL(fileURLWithPath: path))
            return
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }

    /// `events-2026-12-05.csv`.
    static func name(ofDay day: UInt64) -> String {
        let date = CivilDate(daysSince1970: Int64(day))
        return "events-\(date.year)-\(date.paddedMonth)-\(date.paddedDay).csv"
    }
}
