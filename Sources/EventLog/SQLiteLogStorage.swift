import Foundation
import IEC61850Model
import IEC61850Services
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
/// - A batch leaves the queue only once committed: when the file cannot be written (disk full, locked by
///   another program) the writer keeps it, says so (``status``, the log, a `storage` event once it can
///   write again) and tries again; the queue is bounded (``WriteQueue``).
/// - A file that is corrupt at start is kept aside (never deleted) and a new one started.
/// - The schema carries a version (`PRAGMA user_version`) and is migrated on open.
///
/// @unchecked Sendable: the writer connection belongs to the writer thread; the reader connection and
/// the queue are behind their mutexes.
public final class SQLiteLogStorage: LegacyLogConversion, @unchecked Sendable {
    /// The schema this code writes; older files are migrated on open.
    /// Version 1: `log_entries`. Version 2 adds `events` (the gateway's event log). Version 3 marks the
    /// audit events (`audit`), which have a retention of their own. Version 4 keeps log values as model
    /// values (``LogValueCoding``); entries of older files are marked `legacy` until the server converts
    /// them (``convertLegacyEntries(_:)``).
    public static let schemaVersion: Int64 = 5

    public let path: String
    public let maximumEntries: Int
    public let maximumAge: Duration?
    /// The most value, quality and communication events kept; the oldest go first.
    public let maximumEvents: Int
    /// The most audit events (commands, associations, security, storage) kept, apart from the others.
    public let maximumAuditEvents: Int
    let logger: Logger
    let writer: SQLiteDatabase
    let reader: Mutex<SQLiteDatabase>

    struct Pending {
        var queue: WriteQueue
        var running = true
        /// Per log: the newest entry identifier given out, and the bounds as the queue and the file hold them.
        var newest: [String: UInt64] = [:]
        var bounds: [String: LogBounds] = [:]
        /// Why the last write failed, and since when (ms), while writes fail.
        var failure: (reason: String, sinceMilliseconds: UInt64)?
    }
    let pending: Mutex<Pending>
    let wake = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    /// A corrupt file found at start and moved aside, if any.
    public let quarantinedFile: String?

    /// What an operator should know about the storage now.
    public struct Status: Sendable, Equatable {
        /// Why writes fail, while they do; nil when the last write succeeded.
        public var failure: String?
        /// Since when writes fail (UTC ms).
        public var failingSinceMilliseconds: UInt64?
        /// Entries and events waiting to be written.
        public var queued: Int
        /// Entries and events dropped (the queue was full while writes failed) since the storage opened.
        public var dropped: Int
        /// Entries and events written since the storage opened.
        public var committed: Int
        /// A corrupt file found at start and kept aside.
        public var quarantinedFile: String?
    }

    /// Opens (or creates) the database at `path` and starts its writer thread. A file that is not a
    /// database or fails its quick check is renamed to `PATH.corrupt-TIME` and a new one is started.
    public init(
        path: String, maximumEntries: Int = 100_000, maximumAge: Duration? = nil, maximumEvents: Int = 1_000_000,
        maximumAuditEvents: Int = 100_000, queueCapacity: Int = 200_000, busyTimeoutMilliseconds: Int32 = 5000,
        logger: Logger = Logger(label: "iec61850.log-storage")
    )
        throws(SQLiteError)
    {
        self.path = path
        self.maximumEntries = max(1, maximumEntries)
        self.maximumAge = maximumAge
        self.maximumEvents = max(1, maximumEvents)
        self.maximumAuditEvents = max(1, maximumAuditEvents)
        self.logger = logger
        var quarantined: String?
        let opened: (writer: SQLiteDatabase, reader: SQLiteDatabase, state: Pending)
        do {
            opened = try Self.open(path, busyTimeout: busyTimeoutMilliseconds, queueCapacity: queueCapacity)
        } catch  where error.isCorruption {
            let aside = "\(path).corrupt-\(currentMilliseconds())"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                do {
                    try FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
                } catch {
                    throw SQLiteError(operation: "keep the corrupt \(path) aside", code: 0, message: "\(error)")
                }
            }
            logger.error(
                "the event log file is corrupt; kept it aside and started a new one",
                metadata: ["file": "\(path)", "keptAs": "\(aside)", "error": "\(error)"])
            quarantined = aside
            opened = try Self.open(path, busyTimeout: busyTimeoutMilliseconds, queueCapacity: queueCapacity)
        }
        writer = opened.writer
        reader = Mutex(opened.reader)
        pending = Mutex(opened.state)
        quarantinedFile = quarantined
        if let quarantined {
            record(
                GatewayEvent(
                    timeMilliseconds: currentMilliseconds(), kind: .storage, reference: path, result: "quarantined",
                    detail: "the file was corrupt at start; kept as \(quarantined), a new one started"))
        }
        let thread = Thread { [self] in run() }
        thread.name = "log-storage"
        thread.start()
    }

    /// Opens both connections, checks and migrates the file, and reads the logs' bounds.
    private static func open(
        _ path: String, busyTimeout: Int32, queueCapacity: Int
    ) throws(SQLiteError) -> (
        writer: SQLiteDatabase, reader: SQLiteDatabase, state: Pending
    ) {
        let writer = try SQLiteDatabase(path: path, busyTimeoutMilliseconds: busyTimeout)
        try writer.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        let check = try writer.prepare("PRAGMA quick_check(1)")
        if try check.step(), let verdict = check.text(0), verdict != "ok" {
            throw SQLiteError(operation: "quick_check \(path)", code: 11, message: verdict)
        }
        check.reset()  // a statement left running would lock the schema against the migration's changes
        try migrate(writer)
        let reader = try SQLiteDatabase(path: path, busyTimeoutMilliseconds: busyTimeout)
        var state = Pending(queue: WriteQueue(capacity: queueCapacity))
        let statement = try writer.prepare("SELECT log, min(id), max(id) FROM log_entries GROUP BY log")
        while try statement.step() {
            guard let log = statement.text(0) else { continue }
            // A file written by someone else may hold anything: identifiers below 1 count as 0.
            let oldest = UInt64(max(0, statement.integer(1)))
            let newest = UInt64(max(0, statement.integer(2)))
            // Identifiers that leave no room to count on cannot be ours: such a file is kept aside.
            guard newest < 1 << 62 else {
                throw SQLiteError(operation: "open \(path)", code: 11, message: "log \(log) has entry identifier \(newest), past what this program writes")
            }
            state.newest[log] = newest
            state.bounds[log] = LogBounds(
                oldest: oldest, oldestTime: try time(of: oldest, log: log, in: writer), newest: newest,
                newestTime: try time(of: newest, log: log, in: writer))
        }
        return (writer, reader, state)
    }

    private static func time(of entry: UInt64, log: String, in database: SQLiteDatabase) throws(SQLiteError) -> Timestamp {
        let statement = try database.prepare("SELECT time_ms FROM log_entries WHERE log = ?1 AND id = ?2")
        statement.bind(1, log)
        statement.bind(2, Int64(clamping: entry))
        guard try statement.step() else { return Timestamp(millisecondsSinceEpoch: 0) }
        return Timestamp(millisecondsSinceEpoch: UInt64(max(0, statement.integer(0))))
    }

    /// What an operator should know about the storage now.
    public var status: Status {
        pending.withLock { state in
            Status(
                failure: state.failure?.reason, failingSinceMilliseconds: state.failure?.sinceMilliseconds, queued: state.queue.count,
                dropped: state.queue.totalDropped, committed: state.queue.committedTotal, quarantinedFile: quarantinedFile)
        }
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
            if version < 3 {
                try database.execute(
                    """
                    ALTER TABLE events ADD COLUMN audit INTEGER NOT NULL DEFAULT 0;
                    UPDATE events SET audit = 1 WHERE kind IN ('command', 'association', 'security', 'storage');
                    CREATE INDEX events_audit ON events (audit, id);
                    """)
            }
            if version < 4 {
                try database.execute(
                    """
                    ALTER TABLE log_entries ADD COLUMN legacy INTEGER NOT NULL DEFAULT 0;
                    UPDATE log_entries SET legacy = 1;
                    CREATE INDEX log_entries_legacy ON log_entries (legacy) WHERE legacy = 1;
                    """)
            }
            if version < 5 {
                try database.execute("DROP INDEX IF EXISTS events_reference")
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
            state.queue.append(LogEntry(entryID: id, time: time, values: values), log: log)
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
        flushOrSay()
        return try reader.withLock { database throws(SQLiteError) -> [LogEntry] in
            var sql = "SELECT id, time_ms, entry_values, legacy FROM log_entries WHERE log = ?1"
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
                // Written by someone else, a row may hold negative numbers: they read as 0.
                entries.append(
                    LogEntry(
                        entryID: UInt64(max(0, statement.integer(0))), time: Timestamp(millisecondsSinceEpoch: UInt64(max(0, statement.integer(1)))),
                        values: statement.integer(3) == 0 ? LogValueCoding.decode(statement.blob(2)) : []))
            }
            return entries
        }
    }

    public func bounds(log: String) -> LogBounds? {
        pending.withLock { $0.bounds[log] }
    }

    /// Queues a gateway event; it is committed with the next batch. Never blocks.
    public func record(_ event: GatewayEvent) {
        pending.withLock { $0.queue.append(event) }
        wake.signal()
    }

    /// Queues several gateway events in order, under one lock and with one wake-up of the writer: a poll
    /// of a large plant changes thousands of points at once, and an event each contended for the queue
    /// with the writer and woke it as often.
    public func record(contentsOf events: [GatewayEvent]) {
        guard !events.isEmpty else { return }
        pending.withLock { state in for event in events { state.queue.append(event) } }
        wake.signal()
    }

    /// Waits until every entry queued so far is committed (or dropped). While writes fail it waits no
    /// longer than `timeout` and throws why they fail: a reader then answers with what is committed.
    public func flush(timeout: Duration = .seconds(5)) throws(SQLiteError) {
        let target = pending.withLock { $0.queue.queuedTotal }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let (settled, running, failure) = pending.withLock { ($0.queue.settledTotal >= target, $0.running, $0.failure) }
            if settled || !running { return }
            if let failure, ContinuousClock.now >= deadline {
                throw SQLiteError(operation: "write \(path)", code: 0, message: "entries are waiting to be written: \(failure.reason)")
            }
            wake.signal()
            usleep(1_000)
        }
    }

    /// Waits for what is queued, but while writes fail (for a second at most) says so and lets a reader
    /// answer with what is committed.
    func flushOrSay() {
        do {
            try flush(timeout: .seconds(1))
        } catch {
            logger.warning("reading the event log while entries wait to be written; they are not in this answer", metadata: ["error": "\(error)"])
        }
    }

    /// Commits what is queued and stops the writer thread (while writes fail, what is queued is lost,
    /// and the log says how much).
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
}

extension SQLiteError {
    /// The file is not a database, or is damaged (SQLITE_CORRUPT, SQLITE_NOTADB).
    var isCorruption: Bool { [11, 26].contains(code & 0xFF) }
}
