import EventLog
import Foundation
import IEC61850Model
import NIOCore
import TestSupport
import Testing

@testable import IEC61850Server
@testable import MMSMapping

/// A log database written before log values were model values (schema 3: MMS names and MMS Data) is
/// converted when the server starts, and ReadJournal answers exactly as it did before.
///
/// The fixture (`Tests/Fixtures/logs/schema-3.sqlite`) and the answer it gave
/// (`schema-3-readjournal.hex`) were made by the code at commit 5b89f8f (see `Tests/Fixtures/logs/README.md`).
@Suite("Log storage migration", .timeLimit(.minutes(1)))
struct LogStorageMigrationTests {
    static let model = Fixtures.path("logs/legacy-model.icd")

    /// The one ReadJournal request of the fixture: everything from 2020 to 2100.
    static var request: ByteBuffer { LogServiceTests.readJournal(7, from: 1_577_836_800_000, to: 4_102_444_800_000) }

    @Test("a schema-3 database is converted on start and answers ReadJournal byte for byte as before")
    func converted() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("log-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("log.sqlite").path
        try FileManager.default.copyItem(atPath: Fixtures.path("logs/schema-3.sqlite"), toPath: path)
        let expected = try String(contentsOfFile: Fixtures.path("logs/schema-3-readjournal.hex"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)

        let storage = try SQLiteLogStorage(path: path)
        let (server, client) = try await ControlServiceTests.connect(model: try SCLLoader().load(file: Self.model), configure: { $0.logStorage = storage })
        let answer = try #require(try await ControlServiceTests.exchange(client, Self.request, expecting: 1).first)
        await server.stop()
        #expect(!storage.hasLegacyEntries)
        let entries = try storage.entries(log: "DEMOGenericIO/LLN0$EventLog", matching: LogQuery(), limit: 10)
        #expect(entries.count == 6)
        // The first entry: Ind1's stVal on a data change (reason bit 1).
        #expect(entries.first?.values == [LogEntry.Value(reference: "DEMOGenericIO/GGIO1.Ind1.stVal[ST]", values: [.boolean(true)], reasonCode: 1 << 1)])
        #expect(entries[1].values.first?.reference == "DEMOGenericIO/GGIO1.AnIn1[MX]")
        #expect(entries[1].values.first?.values.first == .float32(21.5))
        storage.close()
        #expect(answer.hexDump == expected)
        #expect(try SQLiteLogStorage.schemaVersion(of: path) == SQLiteLogStorage.schemaVersion)
    }
}
