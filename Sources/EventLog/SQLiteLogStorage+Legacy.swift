import IEC61850Services

/// Entries written before schema 4 kept MMS names and MMS Data; the server converts them to model values
/// when it starts (until then ReadJournal would show them without values).
extension SQLiteLogStorage {
    public var hasLegacyEntries: Bool {
        (try? reader.withLock { database throws(SQLiteError) in try database.integer("SELECT EXISTS (SELECT 1 FROM log_entries WHERE legacy = 1)") })
            .flatMap { $0 } == 1
    }

    /// Rewrites every legacy entry in one transaction: each value through `convert`, the entry's identifier
    /// and time as they were. A value `convert` cannot read is left out of its entry, and said so once.
    public func convertLegacyEntries(_ convert: (LegacyLogValue) -> LogEntry.Value?) throws -> Int {
        let (entries, dropped) = try reader.withLock { database throws(SQLiteError) -> (Int, Int) in
            try database.execute("BEGIN IMMEDIATE")
            do throws(SQLiteError) {
                let select = try database.prepare("SELECT log, id, entry_values FROM log_entries WHERE legacy = 1")
                let update = try database.prepare("UPDATE log_entries SET entry_values = ?1, legacy = 0 WHERE log = ?2 AND id = ?3")
                var entries = 0
                var dropped = 0
                while try select.step() {
                    let legacy = LogValueCoding.decodeLegacy(select.blob(2))
                    let values = legacy.compactMap(convert)
                    dropped += legacy.count - values.count
                    update.bind(1, blob: LogValueCoding.encode(values))
                    update.bind(2, select.text(0))
                    update.bind(3, select.integer(1))
                    try update.run()
                    entries += 1
                }
                try database.execute("COMMIT")
                return (entries, dropped)
            } catch {
                try? database.execute("ROLLBACK")
                throw error
            }
        }
        if dropped > 0 {
            logger.warning(
                "log values that name nothing in the model were left out while converting the log to model values",
                metadata: ["file": "\(path)", "values": "\(dropped)"])
        }
        if entries > 0 { logger.notice("log entries converted to model values", metadata: ["file": "\(path)", "entries": "\(entries)"]) }
        return entries
    }

    /// The schema version of the database at `path` (0 for a new file).
    public static func schemaVersion(of path: String) throws(SQLiteError) -> Int64 {
        try SQLiteDatabase(path: path, busyTimeoutMilliseconds: 1000).integer("PRAGMA user_version") ?? 0
    }
}
