import Foundation
import IEC61850Model
import IEC61850Server
import Testing

@testable import EventLog

@Suite("IEC 61850 logs in SQLite")
struct SQLiteLogStorageTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("log-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sqlite").path
    }

    static func value(_ number: UInt8) -> [LogEntry.Value] {
        [LogEntry.Value(reference: "IED1LD0/GGIO1.Ind1.stVal[ST]", values: [.unsigned(UInt64(number))], reasonCode: 0x40)]
    }

    static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test("entries come back by time range and after an entry, oldest first, with their values")
    func queries() throws {
        let path = Self.temporaryPath()
        defer { Self.remove(path) }
        let storage = try SQLiteLogStorage(path: path)
        defer { storage.close() }
        for index in 1...10 {
            let id = storage.append(
                log: "IED1LD0/LLN0$EventLog", time: Timestamp(millisecondsSinceEpoch: 1_000 * UInt64(index)), values: Self.value(UInt8(index)))
            #expect(id == UInt64(index))
        }
        _ = storage.append(log: "IED1LD0/LLN0$Other", time: Timestamp(millisecondsSinceEpoch: 5_000), values: [])
        let log = "IED1LD0/LLN0$EventLog"
        let range = try storage.entries(
            log: log, matching: LogQuery(from: Timestamp(millisecondsSinceEpoch: 3_000), to: Timestamp(millisecondsSinceEpoch: 5_000)), limit: 100)
        #expect(range.map(\.entryID) == [3, 4, 5])
        #expect(range.first?.values == Self.value(3))
        #expect(try storage.entries(log: log, matching: LogQuery(afterEntry: 8), limit: 100).map(\.entryID) == [9, 10])
        #expect(try storage.entries(log: log, matching: LogQuery(), limit: 4).map(\.entryID) == [1, 2, 3, 4])
        #expect(
            storage.bounds(log: log)
                == LogBounds(oldest: 1, oldestTime: Timestamp(millisecondsSinceEpoch: 1_000), newest: 10, newestTime: Timestamp(millisecondsSinceEpoch: 10_000))
        )
        #expect(try storage.entries(log: "IED1LD0/LLN0$Other", matching: LogQuery(), limit: 10).map(\.entryID) == [1])
    }

    @Test("the bound on entries holds under load: the oldest go first, identifiers keep increasing")
    func bound() throws {
        let path = Self.temporaryPath()
        defer { Self.remove(path) }
        let storage = try SQLiteLogStorage(path: path, maximumEntries: 100)
        defer { storage.close() }
        for index in 1...5_000 {
            _ = storage.append(log: "L", time: Timestamp(millisecondsSinceEpoch: UInt64(index)), values: Self.value(UInt8(index % 256)))
        }
        let entries = try storage.entries(log: "L", matching: LogQuery(), limit: 1_000)
        #expect(entries.count == 100)
        #expect(entries.first?.entryID == 4_901 && entries.last?.entryID == 5_000)
        #expect(storage.bounds(log: "L")?.oldest == 4_901)
        #expect(storage.bounds(log: "L")?.oldestTime == Timestamp(millisecondsSinceEpoch: 4_901))
    }

    @Test("committed entries survive closing and reopening; numbering continues")
    func reopen() throws {
        let path = Self.temporaryPath()
        defer { Self.remove(path) }
        do {
            let storage = try SQLiteLogStorage(path: path)
            for index in 1...3 { _ = storage.append(log: "L", time: Timestamp(millisecondsSinceEpoch: UInt64(index)), values: Self.value(UInt8(index))) }
            storage.close()
        }
        let reopened = try SQLiteLogStorage(path: path)
        defer { reopened.close() }
        #expect(
            reopened.bounds(log: "L")
                == LogBounds(oldest: 1, oldestTime: Timestamp(millisecondsSinceEpoch: 1), newest: 3, newestTime: Timestamp(millisecondsSinceEpoch: 3)))
        #expect(reopened.append(log: "L", time: Timestamp(millisecondsSinceEpoch: 4), values: []) == 4)
        #expect(try reopened.entries(log: "L", matching: LogQuery(), limit: 10).map(\.entryID) == [1, 2, 3, 4])
    }

    @Test("the schema is versioned: a new file is created at the current version, a newer one is refused")
    func schema() throws {
        let path = Self.temporaryPath()
        defer { Self.remove(path) }
        do {
            let storage = try SQLiteLogStorage(path: path)
            storage.close()
        }
        let database = try SQLiteDatabase(path: path)
        #expect(try database.integer("PRAGMA user_version") == SQLiteLogStorage.schemaVersion)
        do {
            let mode = try database.prepare("PRAGMA journal_mode")
            #expect(try mode.step() && mode.text(0) == "wal")
        }
        try database.execute("PRAGMA user_version = 99")
        #expect(throws: SQLiteError.self) { try SQLiteLogStorage(path: path) }
    }

    @Test("values survive the column coding, and a damaged column yields what precedes the damage")
    func coding() {
        let values = [
            LogEntry.Value(
                reference: "LD/LN.A[ST]",
                values: [
                    .boolean(true), .integer(-5), .unsigned(UInt64.max), .float32(-3.25), .float64(1e300), .bits(0x2A0), .quality(Quality(rawValue: 0x0841)),
                    .timestamp(Timestamp(secondsSinceEpoch: 1_764_000_000, fraction: 0x1F7C_ED, timeQuality: 10)), .entryTime(millisecondsSinceEpoch: 99),
                    .string("Grüße"),
                ], reasonCode: 0x40),
            LogEntry.Value(reference: "LD/LN.A.q[ST]", values: [.octets(Array(repeating: 7, count: 300))], reasonCode: 0x20),
        ]
        let bytes = LogValueCoding.encode(values)
        #expect(LogValueCoding.decode(bytes) == values)
        #expect(LogValueCoding.decode(Array(bytes.dropLast(5))) == [values[0]])
    }

    @Test("a column of the older form (schema 3: MMS names and MMS Data) reads back, and damage ends it")
    func legacyCoding() {
        // reference length, reference, reason code, data length (4 octets), data; twice.
        let column: [UInt8] =
            [0, 8] + Array("LD/LN$ST".utf8) + [0x40, 0, 0, 0, 3, 0x83, 0x01, 0xFF] + [0, 2] + Array("LD".utf8) + [0x20, 0, 0, 0, 9, 0x84]
        #expect(
            LogValueCoding.decodeLegacy(column) == [LegacyLogValue(mmsReference: "LD/LN$ST", mmsData: [0x83, 0x01, 0xFF], reasonCode: 0x40)])
    }
}

@Suite("SQLite log storage under a kill -9", .timeLimit(.minutes(1)))
struct LogStorageKillTests {
    @Test(
        "a writer killed with SIGKILL while logging heavily, three times over on one file: each time the file opens, passes integrity_check and holds every committed entry and event"
    )
    func killed() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bench = root.appendingPathComponent(".build/debug/iec61850-bench")
        try #require(FileManager.default.isExecutableFile(atPath: bench.path), "build first: swift build --build-tests")
        let path = SQLiteLogStorageTests.temporaryPath()
        defer { SQLiteLogStorageTests.remove(path) }
        var committedEntries: UInt64 = 0
        for run in 1...3 {
            let writer = Process()
            writer.executableURL = bench
            writer.arguments = ["--log-writer", path, "--seconds", "30", "--max-entries", "10000000", "--label", "\(run)"]
            let output = Pipe()
            writer.standardOutput = output
            writer.standardError = FileHandle.nullDevice
            try writer.run()
            // Read "committed N events K" lines until a few batches are in, then kill it mid-stream.
            var committedEvents = 0
            var buffer = ""
            var lines = 0
            while lines < 4 {
                let chunk = output.fileHandleForReading.availableData
                guard !chunk.isEmpty else { break }
                buffer += String(decoding: chunk, as: UTF8.self)
                while let newline = buffer.firstIndex(of: "\n") {
                    let words = buffer[..<newline].split(separator: " ")
                    buffer.removeSubrange(...newline)
                    if words.count == 4, words[0] == "committed", let entries = UInt64(words[1]), let events = Int(words[3]) {
                        committedEntries = entries
                        committedEvents = events
                        lines += 1
                    }
                }
            }
            kill(writer.processIdentifier, SIGKILL)
            writer.waitUntilExit()
            #expect(committedEvents > 0)

            let database = try SQLiteDatabase(path: path)
            let check = try database.prepare("PRAGMA integrity_check")
            #expect(try check.step() && check.text(0) == "ok")
            let newest = try #require(try database.integer("SELECT max(id) FROM log_entries"))
            let count = try #require(try database.integer("SELECT count(*) FROM log_entries"))
            #expect(UInt64(newest) >= committedEntries)
            #expect(count == newest)  // none missing below the newest, across the kills
            let events = try database.integer("SELECT count(*) FROM events WHERE detail LIKE '\(run):%'") ?? 0
            let last = try database.integer("SELECT count(*) FROM events WHERE detail = '\(run):\(committedEvents)'") ?? 0
            #expect(events >= Int64(committedEvents) && last == 1, "run \(run): \(events) events stored, \(committedEvents) reported committed")
        }
    }
}

@Suite("Gateway event log in SQLite")
struct GatewayEventStoreTests {
    static func path() -> String { NSTemporaryDirectory() + "events-\(UInt64.random(in: 0...UInt64.max)).sqlite" }

    @Test("events are stored with every field, filtered by time, reference prefix and kind, and bounded")
    func storeAndQuery() throws {
        let file = Self.path()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let storage = try SQLiteLogStorage(path: file, maximumEvents: 50)
        let command = GatewayEvent(
            timeMilliseconds: 2_000, kind: .command, reference: "GenericIO/GGIO1.SPCSO1", value: "true", client: "127.0.0.1:5000",
            origin: "3:scada", controlNumber: 7, result: "failure", cause: "timeLimitOver", detail: "Oper")
        storage.record(GatewayEvent(timeMilliseconds: 1_000, kind: .value, reference: "GenericIO/GGIO1.Ind1.stVal", value: "true", quality: "good"))
        storage.record(command)
        storage.record(GatewayEvent(timeMilliseconds: 3_000, kind: .communication, reference: "modbus dev", result: "down"))
        let all = try storage.events(matching: EventQuery())
        #expect(all.map(\.kind) == [.value, .command, .communication])
        var stored = all[1]
        stored.id = 0
        #expect(stored == command)
        #expect(try storage.events(matching: EventQuery(referencePrefix: "GenericIO/GGIO1")).count == 2)
        #expect(try storage.events(matching: EventQuery(kinds: [.communication, .command])).map(\.timeMilliseconds) == [2_000, 3_000])
        #expect(try storage.events(matching: EventQuery(from: 1_500, to: 2_500)).map(\.kind) == [.command])
        #expect(try storage.events(matching: EventQuery(afterID: all[1].id)).map(\.kind) == [.communication])
        for index in 0..<200 { storage.record(GatewayEvent(timeMilliseconds: 10_000 + UInt64(index), kind: .value, reference: "x")) }
        let bounded = try storage.events(matching: EventQuery())
        #expect(bounded.filter { !$0.kind.isAudit }.count == 50)
        #expect(bounded.last?.timeMilliseconds == 10_199)
        #expect(bounded.contains { $0.kind == .command })  // audit events have a retention of their own
        storage.close()
    }

    @Test("events recorded together are stored in their order, between those recorded alone")
    func recordTogether() throws {
        let file = Self.path()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let storage = try SQLiteLogStorage(path: file)
        storage.record(GatewayEvent(timeMilliseconds: 1, kind: .value, reference: "first"))
        storage.record(contentsOf: (0..<1000).map { GatewayEvent(timeMilliseconds: 2 + UInt64($0), kind: .value, reference: "poll \($0)") })
        storage.record(contentsOf: [])
        storage.record(GatewayEvent(timeMilliseconds: 5_000, kind: .communication, reference: "last", result: "down"))
        let stored = try storage.events(matching: EventQuery(), limit: 2000)
        #expect(stored.map(\.reference) == ["first"] + (0..<1000).map { "poll \($0)" } + ["last"])
        #expect(stored.map(\.id) == stored.map(\.id).sorted())
        storage.close()
    }

    @Test("a version 1 file (log entries only) is migrated: its entries stay and events can be stored")
    func migration() throws {
        let file = Self.path()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let old = try SQLiteDatabase(path: file)
        try old.execute(
            """
            CREATE TABLE log_entries (log TEXT NOT NULL, id INTEGER NOT NULL, time_ms INTEGER NOT NULL, entry_values BLOB NOT NULL,
            PRIMARY KEY (log, id)) WITHOUT ROWID;
            INSERT INTO log_entries VALUES ('LD/LLN0$Log', 1, 1000, x'');
            PRAGMA user_version = 1;
            """)
        let storage = try SQLiteLogStorage(path: file)
        #expect(try storage.entries(log: "LD/LLN0$Log", matching: LogQuery(), limit: 10).map(\.entryID) == [1])
        storage.record(GatewayEvent(timeMilliseconds: 1, kind: .association, reference: "server", client: "127.0.0.1:1", result: "connected"))
        #expect(try storage.events(matching: EventQuery()).count == 1)
        #expect(try SQLiteDatabase(path: file).integer("PRAGMA user_version") == SQLiteLogStorage.schemaVersion)
        // Version 5 dropped the index on events.reference: no query used it, and at 10,000 events a second
        // it was a quarter of the gateway's CPU.
        #expect(try SQLiteDatabase(path: file).integer("SELECT count(*) FROM sqlite_master WHERE name = 'events_reference'") == 0)
        #expect(try SQLiteDatabase(path: file).integer("SELECT count(*) FROM sqlite_master WHERE name = 'events_time'") == 1)
        storage.close()
    }
}
