import Foundation
import IEC61850Model
import IEC61850Services

/// The writer thread: takes what is queued, commits it in one transaction, and keeps it queued (and
/// tries again, later and later) when the transaction fails.
extension SQLiteLogStorage {
    /// The writer's prepared statements.
    struct WriterStatements {
        let insert: SQLiteDatabase.Statement
        let trim: SQLiteDatabase.Statement
        let expire: SQLiteDatabase.Statement
        let oldest: SQLiteDatabase.Statement
        let events: EventStatements

        init(_ database: SQLiteDatabase) throws(SQLiteError) {
            events = try EventStatements(database)
            insert = try database.prepare("INSERT OR REPLACE INTO log_entries (log, id, time_ms, entry_values) VALUES (?1, ?2, ?3, ?4)")
            trim = try database.prepare("DELETE FROM log_entries WHERE log = ?1 AND id <= ?2")
            expire = try database.prepare("DELETE FROM log_entries WHERE log = ?1 AND time_ms < ?2")
            oldest = try database.prepare("SELECT id, time_ms FROM log_entries WHERE log = ?1 ORDER BY id LIMIT 1")
        }
    }

    func run() {
        var statements: WriterStatements?
        var counts = EventStatements.Counts()
        var retryDelay = 0  // ms; 0 while writes succeed
        var lastComplaint: UInt64 = 0
        while true {
            if retryDelay > 0 {
                // Back off for the whole delay: every append signals `wake`, and retrying the whole queue at
                // each would hammer a full disk. Only closing cuts the wait short.
                let until = DispatchTime.now() + .milliseconds(retryDelay)
                while DispatchTime.now() < until, pending.withLock({ $0.running }) { _ = wake.wait(timeout: until) }
            } else {
                _ = wake.wait(timeout: .now() + .milliseconds(200))
            }
            let (batch, events, running, dropped) = pending.withLock { state in
                let batch = state.queue.takeBatch()
                return (batch.entries, batch.events, state.running, state.queue.takeDropped())
            }
            if !batch.isEmpty || !events.isEmpty || dropped != nil {
                do throws(SQLiteError) {
                    if statements == nil {
                        statements = try WriterStatements(writer)
                        counts = try EventStatements.Counts(writer)
                    }
                    let recovered = pending.withLock { $0.failure }
                    var notes: [GatewayEvent] = []
                    if let recovered { notes.append(recoveryEvent(recovered, dropped: dropped)) }
                    if let dropped, recovered == nil { notes.append(lossEvent(dropped)) }
                    counts = try write(batch, events: notes + events, statements: statements!, counts: counts)
                    pending.withLock { state in
                        state.queue.committed()
                        state.failure = nil
                    }
                    if let recovered {
                        logger.notice("the event log is written again", metadata: ["failingSince": "\(recovered.sinceMilliseconds)"])
                    }
                    retryDelay = 0
                } catch {
                    let now = currentMilliseconds()
                    let first = pending.withLock { state -> Bool in
                        state.queue.failed()
                        if let dropped { state.queue.restoreDropped(dropped) }
                        defer { if state.failure == nil { state.failure = ("\(error)", now) } }
                        return state.failure == nil
                    }
                    if first || now - lastComplaint >= 60_000 {
                        lastComplaint = now
                        let queued = pending.withLock { $0.queue.count }
                        logger.error(
                            "the event log cannot be written; entries are kept in memory and written when it can",
                            metadata: ["file": "\(path)", "error": "\(error)", "queued": "\(queued)"])
                    }
                    retryDelay = min(30_000, max(500, retryDelay * 2))
                }
            }
            if !running {
                let left = pending.withLock { $0.queue.count }
                if left > 0 { logger.error("closing the event log with entries it could not write", metadata: ["lost": "\(left)"]) }
                finished.signal()
                return
            }
        }
    }

    private func recoveryEvent(_ failure: (reason: String, sinceMilliseconds: UInt64), dropped: (entries: Int, events: Int)?) -> GatewayEvent {
        let seconds = (currentMilliseconds() &- failure.sinceMilliseconds) / 1000
        var detail = "could not be written for \(seconds) s: \(failure.reason)"
        if let dropped { detail += "; lost \(dropped.events) events and \(dropped.entries) log entries (the queue was full)" }
        return GatewayEvent(timeMilliseconds: currentMilliseconds(), kind: .storage, reference: path, result: "recovered", detail: detail)
    }

    private func lossEvent(_ dropped: (entries: Int, events: Int)) -> GatewayEvent {
        GatewayEvent(
            timeMilliseconds: currentMilliseconds(), kind: .storage, reference: path, result: "lost",
            detail: "lost \(dropped.events) events and \(dropped.entries) log entries (the queue was full)")
    }

    /// One transaction: the events, the log entries, the bounds. Returns the event counts after it.
    private func write(
        _ batch: [(log: String, entry: LogEntry)], events: [GatewayEvent], statements: WriterStatements, counts: EventStatements.Counts
    ) throws(SQLiteError) -> EventStatements.Counts {
        try writer.execute("BEGIN IMMEDIATE")
        do throws(SQLiteError) {
            var counts = counts
            if !events.isEmpty {
                counts = try statements.events.insert(events, counts: counts, keeping: (maximumEvents, maximumAuditEvents))
            }
            var newest: [String: UInt64] = [:]
            for (log, entry) in batch {
                statements.insert.bind(1, log)
                statements.insert.bind(2, Int64(clamping: entry.entryID))
                statements.insert.bind(3, Int64(entry.time.millisecondsSinceEpoch))
                statements.insert.bind(4, blob: LogValueCoding.encode(entry.values))
                try statements.insert.run()
                newest[log] = max(newest[log] ?? 0, entry.entryID)
            }
            let refreshed = try trimLogs(newest, statements: statements)
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
            return counts
        } catch {
            try? writer.execute("ROLLBACK")
            throw error
        }
    }

    /// Applies the bound on entries (and on age) to each log written; returns their oldest entries now.
    private func trimLogs(_ newest: [String: UInt64], statements: WriterStatements) throws(SQLiteError) -> [String: (UInt64, Timestamp)] {
        var refreshed: [String: (UInt64, Timestamp)] = [:]
        for (log, id) in newest {
            if id > UInt64(maximumEntries) {
                statements.trim.bind(1, log)
                statements.trim.bind(2, Int64(clamping: id - UInt64(maximumEntries)))
                try statements.trim.run()
            }
            if let maximumAge {
                let cutoff = Int64(Timestamp.now().millisecondsSinceEpoch) - maximumAge.components.seconds * 1000
                statements.expire.bind(1, log)
                statements.expire.bind(2, cutoff)
                try statements.expire.run()
            }
            statements.oldest.bind(1, log)
            defer { statements.oldest.reset() }
            if try statements.oldest.step() {
                refreshed[log] = (UInt64(max(0, statements.oldest.integer(0))), Timestamp(millisecondsSinceEpoch: UInt64(max(0, statements.oldest.integer(1)))))
            }
        }
        return refreshed
    }
}
