import Foundation
import IEC61850Model
import IEC61850Server
import Logging
import Synchronization

/// IEC 61850 logs in a SQLite database, as libIEC61850's SQLite LogStorage, bounded by a maximum number
/// of entries per log (the oldest go first) and optionally by age. The gateway's event log
/// (``GatewayEvent``) lives in the same file and goes through the same writer.
///
/// - Appends never block: entries are queued and a writer thread of its own inserts them in batches,
///   one transaction per batch.
/// - The database is in WAL mode with `synchronous = FULL`: a committed batch survives a killed process
///   and a power cut, and a crash never corrupts the file.
/// - The schema carries a version (`PRAGMA user_version`) and is migrated on open.
///
/// @unchecked Sendable: the writer connection belongs to the writer thread; the reader connection and
/// the queue are behind their mutexes.
public final class SQLiteLogStorage: LogStorage, @unchecked Sendable {
    /// The schema this code writes; older files are migrated on open.
    /// Version 1: `log_entries`. Version 2 adds `events` (the gateway's event log).
    public static let schemaVersion: Int64 = 2

    public let path: String
    public let maximumEntries: Int
    public let maximumAge: Duration?
    /// The most gateway events kept; the oldest go first.
    public let maximumEvents: Int
    private let logger: Logger
    private let writer: SQLiteDatabase
    let reader: Mutex<SQLiteDatabase>

    private struct Pending {
        var entries: [(log: String, entry: LogEntry)] = []
        var events: [GatewayEvent] = []
        var running = true
        /// Per log: the newest entry identifier given out, and the bounds as the queue and the file hold them.
        var newest: [String: UInt64] = [:]
        var bounds: [String: LogBounds] = [:]
        var writtenUpTo = 0
        var queuedTotal = 0
    }
    private let pending = Mutex(Pending())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    /// Opens (or creates) the database at `path` and starts its writer thread.
    public init(
        path: String, maximumEntries: Int = 100_000, maximumAge: Duration? = nil, maximumEvents: Int = 1_000_000,
        logger: Logger = Logger(label: "iec61850.log-storage")
    )
        throws(SQLiteError)
    {
        self.path = path
        self.maximumEntries = max(1, maximumEntries)
        self.maximumAge = maximumAge
        self.maximumEvents = max(1, maximumEvents)
        self.logger = logger
        writer = try SQLiteDatabase(path: path)
        try writer.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        try Self.migrate(writer)
        reader = Mutex(try SQLiteDatabase(path: path))
        var state = Pending()
        let statement = try writer.prepare("SELECT log, min(id), max(id) FROM log_entries GROUP BY log")
        while try statement.step() {
            guard let log = statement.text(0) else { continue }
            let oldest = UInt64(statement.integer(1))
            let newest = UInt64(statement.integer(2))
            state.newest[log] = newest
            state.bounds[log] = LogBounds(
                oldest: oldest, oldestTime: try time(of: oldest, log: log), newest: newest, newestTime: try time(of: newest, log: log))
        }
        pending.withLock { $0 = state }
        let thread = Thread { [self] in run() }
        thread.name = "log-storage"
        thread.start()
    }

    private func time(of entry: UInt64, log: String) throws(SQLiteError) -> Timestamp {
        let statement = try writer.prepare("SELECT time_ms FROM log_entries WHERE log = ?1 AND id = ?2")
        statement.bind(1, log)
        statement.bind(2, Int64(entry))
        guard try statement.step() else { return Timestamp(millisecondsSinceEpoch: 0) }
        return Timestamp(millisecondsSinceEpoch: UInt64(statement.integer(0)))
    }

    /// Creates the tables of a new file, or brings an older file up to `schemaVersion`.
    static func migrate(_ database: SQLiteDatabase) throws(SQLiteError) {
        let version = try database.integer("PRAGMA user_version") ?? 0
        guard version < schemaVersion else {
            if version > schemaVersion {
                throw SQLiteError(
                    operation: "open \(database.path)", code: 0,
                    message: "the file has schema version \(version); this program knows up to \(schemaVersion)")
            }
            return
        }
        try database.execute("BEGIN IMMEDIATE")
        do throws(SQLiteError) {
            if version < 1 {
                try database.execute(
                    """
                    CREATE TABLE log_entries (
                        log TEXT NOT NULL,
                        id INTEGER NOT NULL,
                        time_ms INTEGER NOT NULL,
                        entry_values BLOB NOT NULL,
                        PRIMARY KEY (log, id)
                    ) WITHOUT ROWID;
                    CREATE INDEX log_entries_time ON log_entries (log, time_ms);
                    """)
            }
            if version < 2 {
                try database.execute(
                    """
                    CREATE TABLE events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        time_ms INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        reference TEXT NOT NULL,
                        value TEXT, quality TEXT, client TEXT, origin TEXT, ctl_num INTEGER, result TEXT, cause TEXT, detail TEXT
                    );
                    CREATE INDEX events_time ON events (time_ms);
                    CREATE INDEX events_reference ON events (reference);
                    """)
            }
            try database.execute("PRAGMA user_version = \(schemaVersion); COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    // MARK: LogStorage

    public func append(log: String, time: Timestamp, values: [LogEntry.Value]) -> UInt64 {
        let id = pending.withLock { state -> UInt64 in
            let id = (state.newest[log] ?? 0) + 1
            state.newest[log] = id
            state.entries.append((log, LogEntry(entryID: id, time: time, values: values)))
            state.queuedTotal += 1
            var bounds = state.bounds[log] ?? LogBounds(oldest: id, oldestTime: time, newest: id, newestTime: time)
            bounds.newest = id
            bounds.newestTime = time
            if id - bounds.oldest >= UInt64(maximumEntries) {
                bounds.oldest = id - UInt64(maximumEntries) + 1
                bounds.oldestTime = time  // refined when the batch is written
            }
            state.bounds[log] = bounds
            return id
        }
        wake.signal()
        return id
    }

    public func entries(log: String, matching query: LogQuery, limit: Int) throws -> [LogEntry] {
        try flush()
        return try reader.withLock { database throws(SQLiteError) -> [LogEntry] in
            var sql = "SELECT id, time_ms, entry_values FROM log_entries WHERE log = ?1"
            if query.from != nil { sql += " AND time_ms >= ?2" }
            if query.to != nil { sql += " AND time_ms <= ?3" }
            if query.afterEntry != nil { sql += " AND id > ?4" }
            sql += " ORDER BY id LIMIT ?5"
            let statement = try database.prepare(sql)
            statement.bind(1, log)
            if let from = query.from { statement.bind(2, Int64(from.millisecondsSinceEpoch)) }
            if let to = query.to { statement.bind(3, Int64(to.millisecondsSinceEpoch)) }
            if let after = query.afterEntry { statement.bind(4, Int64(bitPattern: after)) }
            statement.bind(5, Int64(limit))
            var entries: [LogEntry] = []
            while try statement.step() {
                entries.append(
                    LogEntry(
                        entryID: UInt64(statement.integer(0)), time: Timestamp(millisecondsSinceEpoch: UInt64(statement.integer(1))),
                        values: LogValueCoding.decode(statement.blob(2))))
            }
            return entries
        }
    }

    public func bounds(log: String) -> LogBounds? {
        pending.withLock { $0.bounds[log] }
    }

    /// Queues a gateway event; it is committed with the next batch. Never blocks.
    public func record(_ event: GatewayEvent) {
        pending.withLock { state in
            state.events.append(event)
            state.queuedTotal += 1
        }
        wake.signal()
    }

    /// Waits until every entry queued so far is committed.
    public func flush() throws(SQLiteError) {
        let target = pending.withLock { $0.queuedTotal }
        while pending.withLock({ $0.writtenUpTo < target && $0.running }) {
            wake.signal()
            usleep(1_000)
        }
    }

    /// Commits what is queued and stops the writer thread.
    public func close() {
        let wasRunning = pending.withLock { state in
            defer { state.running = false }
            return state.running
        }
        guard wasRunning else { return }
        wake.signal()
        finished.wait()
    }

    deinit { close() }

    // MARK: The writer thread

    private func run() {
        var insert: SQLiteDatabase.Statement?
        var trim: SQLiteDatabase.Statement?
        var expire: SQLiteDatabase.Statement?
        var oldest: SQLiteDatabase.Statement?
        var eventStatements: EventStatements?
        do throws(SQLiteError) {
            eventStatements = try EventStatements(writer)
            insert = try writer.prepare("INSERT OR REPLACE INTO log_entries (log, id, time_ms, entry_values) VALUES (?1, ?2, ?3, ?4)")
            trim = try writer.prepare("DELETE FROM log_entries WHERE log = ?1 AND id <= ?2")
            expire = try writer.prepare("DELETE FROM log_entries WHERE log = ?1 AND time_ms < ?2")
            oldest = try writer.prepare("SELECT id, time_ms FROM log_entries WHERE log = ?1 ORDER BY id LIMIT 1")
        } catch {
            logger.error("log storage cannot prepare its statements; entries are not stored", metadata: ["error": "\(error)"])
        }
        while true {
            _ = wake.wait(timeout: .now() + .milliseconds(200))
            let (batch, events, running) = pending.withLock { state in
                defer {
                    state.entries.removeAll(keepingCapacity: true)
                    state.events.removeAll(keepingCapacity: true)
                }
                return (state.entries, state.events, state.running)
            }
            if !batch.isEmpty || !events.isEmpty, let insert, let trim, let expire, let oldest, let eventStatements {
                write(batch, events: events, insert: insert, trim: trim, expire: expire, oldest: oldest, eventStatements: eventStatements)
            }
            pending.withLock { $0.writtenUpTo += batch.count + events.count }
            if !running {
                finished.signal()
                return
            }
        }
    }

    private func write(
        _ batch: [(log: String, entry: LogEntry)], events: [GatewayEvent], insert: SQLiteDatabase.Statement, trim: SQLiteDatabase.Statement,
        expire: SQLiteDatabase.Statement, oldest: SQLiteDatabase.Statement, eventStatements: EventStatements
    ) {
        do throws(SQLiteError) {
            try writer.execute("BEGIN IMMEDIATE")
            if !events.isEmpty { try eventStatements.insert(events, keeping: maximumEvents) }
            var newest: [String: UInt64] = [:]
            for (log, entry) in batch {
                insert.bind(1, log)
                insert.bind(2, Int64(entry.entryID))
                insert.bind(3, Int64(entry.time.millisecondsSinceEpoch))
                insert.bind(4, blob: LogValueCoding.encode(entry.values))
                try insert.run()
                newest[log] = max(newest[log] ?? 0, entry.entryID)
            }
            var refreshed: [String: (UInt64, Timestamp)] = [:]
            for (log, id) in newest {
                if id > UInt64(maximumEntries) {
                    trim.bind(1, log)
                    trim.bind(2, Int64(id - UInt64(maximumEntries)))
                    try trim.run()
                }
                if let maximumAge {
                    let cutoff = Int64(Timestamp.now().millisecondsSinceEpoch) - maximumAge.components.seconds * 1000
                    expire.bind(1, log)
                    expire.bind(2, cutoff)
                    try expire.run()
                }
                oldest.bind(1, log)
                if try oldest.step() {
                    refreshed[log] = (UInt64(oldest.integer(0)), Timestamp(millisecondsSinceEpoch: UInt64(oldest.integer(1))))
                }
                oldest.reset()
            }
            try writer.execute("COMMIT")
            pending.withLock { state in
                for (log, (id, time)) in refreshed {
                    guard var bounds = state.bounds[log] else { continue }
                    if id >= bounds.oldest || maximumAge != nil {
                        bounds.oldest = id
                        bounds.oldestTime = time
                    }
                    state.bounds[log] = bounds
                }
            }
        } catch {
            try? writer.execute("ROLLBACK")
            logger.error("log entries could not be written", metadata: ["error": "\(error)", "entries": "\(batch.count)", "events": "\(events.count)"])
        }
    }
}
