import Foundation
import IEC61850Model
import IEC61850Server
import Testing

@testable import EventLog

@Suite("The write queue as a value")
struct WriteQueueTests {
    static func event(_ kind: GatewayEvent.Kind, _ time: UInt64) -> GatewayEvent { GatewayEvent(timeMilliseconds: time, kind: kind, reference: "x") }

    @Test("a failed batch stays queued ahead of what came since; a committed one leaves")
    func retry() {
        var queue = WriteQueue(capacity: 100)
        queue.append(Self.event(.value, 1))
        let first = queue.takeBatch()
        queue.append(Self.event(.value, 2))
        queue.failed()
        #expect(first.events.map(\.timeMilliseconds) == [1])
        #expect(queue.takeBatch().events.map(\.timeMilliseconds) == [1, 2])
        queue.committed()
        #expect(queue.isEmpty && queue.settledTotal == 2 && queue.queuedTotal == 2)
    }

    @Test("a burst's room is given back once it is written, and kept while something is queued")
    func burstCapacity() {
        var queue = WriteQueue(capacity: 100_000, batchLimit: 10_000)
        for time: UInt64 in 0..<15_000 { queue.append(Self.event(.value, time)) }
        _ = queue.takeBatch()
        queue.committed()
        #expect(queue.events.count == 5_000 && queue.events.capacity >= 5_000)
        _ = queue.takeBatch()
        queue.committed()
        #expect(queue.isEmpty && queue.events.capacity <= WriteQueue.keptCapacity)
    }

    @Test("a batch takes the oldest up to its limit; while it is retried, a full queue drops the oldest after it, not the newest")
    func batchLimit() {
        var queue = WriteQueue(capacity: 20, batchLimit: 5)
        for time: UInt64 in 0..<20 { queue.append(Self.event(.value, time)) }
        #expect(queue.takeBatch().events.map(\.timeMilliseconds) == [0, 1, 2, 3, 4])
        queue.failed()
        _ = queue.takeBatch()
        queue.append(Self.event(.security, 20))  // full: 2 value events after the batch go, not the new one
        #expect(queue.events.map(\.timeMilliseconds) == [0, 1, 2, 3, 4] + Array(7...20))
    }

    @Test("full: the oldest process events go first, then log entries, audit events last; the batch in flight never")
    func dropping() {
        var queue = WriteQueue(capacity: 20)
        queue.append(Self.event(.command, 0))
        _ = queue.takeBatch()  // the command is in flight
        for time: UInt64 in 1...9 { queue.append(Self.event(.security, time)) }
        for time: UInt64 in 10...19 { queue.append(Self.event(.value, time)) }
        queue.append(Self.event(.value, 20))  // full: two value events go (a tenth of 20)
        #expect(queue.events.map(\.timeMilliseconds).prefix(12) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13])
        #expect(queue.takeDropped()! == (entries: 0, events: 2))
        // Only audit events left to drop: the oldest not in flight go.
        var audits = WriteQueue(capacity: 10)
        for time in 0..<10 { audits.append(Self.event(.security, UInt64(time))) }
        _ = audits.takeBatch()
        audits.failed()
        audits.append(Self.event(.security, 10))
        #expect(audits.events.first?.timeMilliseconds == 1)
        #expect(audits.totalDropped == 1)
    }
}

@Suite("SQLite trouble: locked, corrupt, written by someone else", .timeLimit(.minutes(1)))
struct StorageTroubleTests {
    static func path() -> String { NSTemporaryDirectory() + "trouble-\(UInt64.random(in: 0...UInt64.max)).sqlite" }
    static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    static func eventually(_ condition: () throws -> Bool) async throws -> Bool {
        for _ in 0..<300 {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test("a database locked by another program: events stay queued, the status says why, all are written once it is free")
    func locked() async throws {
        let file = Self.path()
        defer { Self.remove(file) }
        let storage = try SQLiteLogStorage(path: file, busyTimeoutMilliseconds: 50)
        storage.record(GatewayEvent(timeMilliseconds: 1, kind: .value, reference: "before"))
        try storage.flush()
        let intruder = try SQLiteDatabase(path: file)
        try intruder.execute("BEGIN EXCLUSIVE")
        for index in 0..<100 { storage.record(GatewayEvent(timeMilliseconds: 100 + UInt64(index), kind: .command, reference: "during")) }
        #expect(try await Self.eventually { storage.status.failure != nil })
        #expect(storage.status.queued == 100)
        #expect(throws: SQLiteError.self) { try storage.flush(timeout: .milliseconds(100)) }
        try intruder.execute("COMMIT")
        #expect(try await Self.eventually { storage.status.failure == nil && storage.status.queued == 0 })
        let events = try storage.events(matching: EventQuery())
        #expect(events.filter { $0.reference == "during" }.count == 100)
        let recovered = try #require(events.first { $0.kind == .storage })
        #expect(recovered.result == "recovered" && recovered.detail?.contains("locked") == true)
        storage.close()
    }

    @Test("a corrupt file at start is kept aside, never deleted, and a new one is started; the event says where it went")
    func corruptAtStart() throws {
        let file = Self.path()
        defer { Self.remove(file) }
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
        try garbage.write(to: URL(fileURLWithPath: file))
        let storage = try SQLiteLogStorage(path: file)
        let aside = try #require(storage.quarantinedFile)
        defer { Self.remove(aside) }
        #expect(FileManager.default.contents(atPath: aside) == garbage)
        storage.record(GatewayEvent(timeMilliseconds: 1, kind: .value, reference: "fresh"))
        let events = try storage.events(matching: EventQuery())
        #expect(events.map(\.kind) == [.storage, .value])
        #expect(events.first?.detail?.contains(aside) == true)
        storage.close()
    }

    @Test("a file written by someone else with negative and absurd numbers opens and reads without a trap")
    func foreignValues() throws {
        let file = Self.path()
        defer { Self.remove(file) }
        try SQLiteLogStorage(path: file).close()
        let foreign = try SQLiteDatabase(path: file)
        try foreign.execute(
            """
            INSERT INTO log_entries (log, id, time_ms, entry_values) VALUES ('LD/LLN0$Log', -5, -1000, x'ffff00');
            INSERT INTO log_entries (log, id, time_ms, entry_values) VALUES ('LD/LLN0$Log', 7, 9223372036854775807, x'0001');
            INSERT INTO events (time_ms, kind, reference, ctl_num, audit) VALUES (-1, 'nonsense', 'x', -9223372036854775808, 7);
            """)
        let storage = try SQLiteLogStorage(path: file)
        let entries = try storage.entries(log: "LD/LLN0$Log", matching: LogQuery(), limit: 10)
        #expect(entries.count == 2)
        #expect(entries.first?.entryID == 0 && entries.first?.values.isEmpty == true)
        #expect(try storage.events(matching: EventQuery()).count == 1)
        #expect(storage.append(log: "LD/LLN0$Log", time: .now(), values: []) == 8)
        storage.close()
    }

    @Test("a file whose entry identifiers leave no room to count on is kept aside like a corrupt one")
    func exhaustedIdentifiers() throws {
        let file = Self.path()
        defer { Self.remove(file) }
        try SQLiteLogStorage(path: file).close()
        try SQLiteDatabase(path: file).execute("INSERT INTO log_entries (log, id, time_ms, entry_values) VALUES ('LD/LLN0$Log', 9223372036854775807, 0, x'')")
        let storage = try SQLiteLogStorage(path: file)
        let aside = try #require(storage.quarantinedFile)
        defer { Self.remove(aside) }
        #expect(storage.append(log: "LD/LLN0$Log", time: .now(), values: []) == 1)
        storage.close()
    }

    @Test("a flood of value events never pushes older audit events out")
    func auditRetention() throws {
        let file = Self.path()
        defer { Self.remove(file) }
        let storage = try SQLiteLogStorage(path: file, maximumEvents: 100, maximumAuditEvents: 10)
        storage.record(GatewayEvent(timeMilliseconds: 1, kind: .security, reference: "server", detail: "wrong password"))
        for index in 0..<1000 { storage.record(GatewayEvent(timeMilliseconds: 10 + UInt64(index), kind: .value, reference: "v")) }
        let events = try storage.events(matching: EventQuery())
        #expect(events.first?.kind == .security)
        #expect(events.count == 101)
        storage.close()
    }
}
