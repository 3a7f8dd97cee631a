import IEC61850Services
import Synchronization

/// The gateway's event log: written with the log entries' batches, read with filters.
extension SQLiteLogStorage {
    /// The writer's prepared statements for events.
    struct EventStatements {
        /// How many process and audit events the table holds (counted once, then kept by the writer).
        struct Counts {
            var process = 0
            var audit = 0

            init() {}

            init(_ database: SQLiteDatabase) throws(SQLiteError) {
                process = Int(try database.integer("SELECT count(*) FROM events WHERE audit = 0") ?? 0)
                audit = Int(try database.integer("SELECT count(*) FROM events WHERE audit = 1") ?? 0)
            }
        }

        let insert: SQLiteDatabase.Statement
        let trim: SQLiteDatabase.Statement

        init(_ database: SQLiteDatabase) throws(SQLiteError) {
            insert = try database.prepare(
                """
                INSERT INTO events (time_ms, kind, reference, value, quality, client, origin, ctl_num, result, cause, detail, audit)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                """)
            trim = try database.prepare("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE audit = ?1 ORDER BY id LIMIT ?2)")
        }

        /// Inserts `events` (inside the caller's transaction) and keeps the newest `keeping.process` value,
        /// quality and communication events and, apart from them, the newest `keeping.audit` audit events.
        func insert(_ events: [GatewayEvent], counts: Counts, keeping: (process: Int, audit: Int)) throws(SQLiteError) -> Counts {
            var counts = counts
            for event in events {
                insert.bind(1, Int64(clamping: event.timeMilliseconds))
                insert.bind(2, event.kind.rawValue)
                insert.bind(3, event.reference)
                insert.bind(4, event.value)
                insert.bind(5, event.quality)
                insert.bind(6, event.client)
                insert.bind(7, event.origin)
                if let number = event.controlNumber { insert.bind(8, Int64(number)) } else { insert.bind(8, nil as String?) }
                insert.bind(9, event.result)
                insert.bind(10, event.cause)
                insert.bind(11, event.detail)
                insert.bind(12, event.kind.isAudit ? 1 : 0)
                try insert.run()
                if event.kind.isAudit { counts.audit += 1 } else { counts.process += 1 }
            }
            if counts.process > keeping.process {
                try trim(audit: false, count: counts.process - keeping.process)
                counts.process = keeping.process
            }
            if counts.audit > keeping.audit {
                try trim(audit: true, count: counts.audit - keeping.audit)
                counts.audit = keeping.audit
            }
            return counts
        }

        private func trim(audit: Bool, count: Int) throws(SQLiteError) {
            trim.bind(1, audit ? 1 : 0)
            trim.bind(2, Int64(count))
            try trim.run()
        }
    }

    /// Events matching `query`, oldest first, at most `limit` (the newest `limit` with `newest`); queued
    /// events are committed first unless `waitForQueued` is false (a live view that asks again soon takes
    /// what is committed now).
    public func events(
        matching query: EventQuery, limit: Int = 10_000, newest: Bool = false, waitForQueued: Bool = true
    ) throws(SQLiteError) -> [GatewayEvent] {
        if waitForQueued { flushOrSay() }
        return try reader.withLock { database throws(SQLiteError) -> [GatewayEvent] in
            var sql = "SELECT id, time_ms, kind, reference, value, quality, client, origin, ctl_num, result, cause, detail FROM events WHERE 1"
            if query.from != nil { sql += " AND time_ms >= ?1" }
            if query.to != nil { sql += " AND time_ms <= ?2" }
            if query.referencePrefix != nil { sql += " AND substr(reference, 1, length(?3)) = ?3" }
            if query.afterID != nil { sql += " AND id > ?4" }
            if !query.kinds.isEmpty {
                sql += " AND kind IN (" + query.kinds.map(\.rawValue).sorted().map { "'\($0)'" }.joined(separator: ",") + ")"
            }
            sql += newest ? " ORDER BY id DESC LIMIT ?5" : " ORDER BY id LIMIT ?5"
            let statement = try database.prepare(sql)
            if let from = query.from { statement.bind(1, Int64(from)) }
            if let to = query.to { statement.bind(2, Int64(to)) }
            if let prefix = query.referencePrefix { statement.bind(3, prefix) }
            if let after = query.afterID { statement.bind(4, after) }
            statement.bind(5, Int64(limit))
            var events: [GatewayEvent] = []
            while try statement.step() {
                events.append(
                    GatewayEvent(
                        id: statement.integer(0), timeMilliseconds: UInt64(max(0, statement.integer(1))),
                        kind: GatewayEvent.Kind(rawValue: statement.text(2) ?? "") ?? .value, reference: statement.text(3) ?? "",
                        value: statement.text(4), quality: statement.text(5), client: statement.text(6), origin: statement.text(7),
                        controlNumber: statement.isNull(8) ? nil : Int(statement.integer(8)), result: statement.text(9), cause: statement.text(10),
                        detail: statement.text(11)))
            }
            return newest ? events.reversed() : events
        }
    }
}
