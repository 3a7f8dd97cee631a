import Foundation
import IEC61850TestSupport
import TestSupport
import Testing

@Suite("Fuzz corpus regressions")
struct FuzzRegressionTests {
    static func corpus(_ name: String) -> [String] {
        let folder = Fixtures.path("fuzz/\(name)")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.sorted().map { "\(folder)/\($0)" }
    }

    /// After any input, a fresh association to the same server still reads a value.
    func serverStillAnswers() throws {
        let connection = try InMemoryConnection(server: FuzzTargets.server)
        let accepted = connection.receive(FuzzTargets.associationPrefix)
        #expect(accepted.count > 100)
        #expect(connection.isOpen)
    }

    @Test("every kept framing input runs through the pipeline", arguments: corpus("framing"))
    func framing(path: String) throws {
        FuzzTargets.framing(Array(try #require(FileManager.default.contents(atPath: path))))
        try serverStillAnswers()
    }

    @Test("every kept MMS input runs through an association", arguments: corpus("mms"))
    func mms(path: String) throws {
        FuzzTargets.mms(Array(try #require(FileManager.default.contents(atPath: path))))
        try serverStillAnswers()
    }

    @Test("the reporting seed reaches the report encoder: enable, GI, an InformationReport comes back")
    func reportingSeed() throws {
        let stream = Array(try #require(FileManager.default.contents(atPath: Fixtures.path("fuzz/framing/seed-rcb-gi"))))
        let connection = try InMemoryConnection(server: FuzzTargets.makeServer())
        _ = connection.receive(FuzzTargets.associationPrefix)
        let answer = connection.receive(stream.dropFirst())
        #expect(hex(answer).contains("A1 05 80 03 52 50 54"))  // variableListName "RPT"
    }

    @Test("the association prefix is a valid association")
    func prefix() throws {
        let connection = try InMemoryConnection(server: FuzzTargets.server)
        let answer = connection.receive(FuzzTargets.associationPrefix)
        // CC (22 octets) and then the AC with an accepted AARE.
        #expect(answer.count > 22)
        #expect(hex(answer).contains("A2 03 02 01 00"))
    }
}
