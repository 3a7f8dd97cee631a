import BERCodec
import IEC61850Model
import MMS
import NIOCore
import TestSupport
import Testing

@testable import IEC61850Server
@testable import MMSMapping

/// The log service over MMS on loopback (PROTOCOL.md §7): the demo's log control block, entries on its
/// triggers, the journal in getNameList, and ReadJournal by time, after an entry and in pages.
@Suite("Log service over MMS, on loopback", .timeLimit(.minutes(1)))
struct LogServiceTests {
    static let domain = "DEMOGenericIO"
    static let lcb = "LLN0$LG$EventLog"
    static let log = "LLN0$EventLog"

    /// A ReadJournal request frame.
    static func readJournal(
        _ invokeID: Int64, from: UInt64? = nil, to: UInt64? = nil, after: (time: UInt64, entry: UInt64)? = nil, count: Int64? = nil
    ) -> ByteBuffer {
        ClientFrames.request(invokeID) { body in
            body.writeBERElement(.contextConstructed(65)) { request in
                request.writeBERElement(.contextConstructed(0)) { ObjectName.domainSpecific(domain: domain, item: log).encode(into: &$0) }
                if let from {
                    request.writeBERElement(.contextConstructed(1)) { ReadJournalRequest.writeTimeOfDay(.context(0), millisecondsSinceEpoch: from, into: &$0) }
                }
                if let to {
                    request.writeBERElement(.contextConstructed(2)) { ReadJournalRequest.writeTimeOfDay(.context(0), millisecondsSinceEpoch: to, into: &$0) }
                } else if let count {
                    request.writeBERElement(.contextConstructed(2)) { $0.writeBERInteger(.context(1), count) }
                }
                if let after {
                    request.writeBERElement(.contextConstructed(5)) { start in
                        ReadJournalRequest.writeTimeOfDay(.context(0), millisecondsSinceEpoch: after.time, into: &start)
                        start.writeBERPrimitive(.context(1), bytes: LogControlBlock.entryIDOctets(after.entry))
                    }
                }
            }
        }
    }

    struct Entry {
        let id: UInt64
        let variables: [(tag: String, data: String)]
    }

    /// The entries of a ReadJournal response, and moreFollows.
    static func entries(_ pdu: ByteBuffer) throws -> ([Entry], Bool) {
        var reader = BERReader(pdu)
        var response = try reader.readElement(.contextConstructed(1)).children
        _ = try response.readElement(.integer)
        var journal = try response.readElement(.contextConstructed(65)).children
        var list = try journal.readElement(.contextConstructed(0)).children
        let more = try journal.readOptional(.context(1))?.booleanValue() ?? false
        var entries: [Entry] = []
        while !list.isAtEnd {
            var entry = try list.readElement(.sequence).children
            let id = try #require(LogControlBlock.entryID(octets: entry.readElement(.context(0)).bytes))
            _ = try entry.readElement(.contextConstructed(1))
            var content = try entry.readElement(.contextConstructed(2)).children
            _ = try content.readElement(.context(0))
            var data = try content.readElement(.contextConstructed(2)).children
            var variables = try data.readElement(.contextConstructed(1)).children
            var parsed: [(String, String)] = []
            while !variables.isAtEnd {
                var variable = try variables.readElement(.sequence).children
                let tag = try variable.readElement(.context(0)).stringValue
                parsed.append((tag, try variable.readElement(.contextConstructed(1)).content.hexDump))
            }
            entries.append(Entry(id: id, variables: parsed))
        }
        return (entries, more)
    }

    static func exchange(_ client: RawClient, _ frame: ByteBuffer) async throws -> ByteBuffer {
        try #require(try await ControlServiceTests.exchange(client, frame, expecting: 1).first)
    }

    static func write(_ client: RawClient, _ attribute: String, _ value: MMSData) async throws -> String {
        try await exchange(client, ClientFrames.write(1, domain: domain, item: "\(lcb)$\(attribute)", value: value)).hexDump
    }

    static func read(_ client: RawClient, _ attribute: String) async throws -> String {
        try await exchange(client, ClientFrames.read(1, domain: domain, item: "\(lcb)$\(attribute)")).hexDump
    }

    @Test("the LCB reads as the SCL configures it; its write rules hold")
    func controlBlock() async throws {
        let (server, client) = try await ControlServiceTests.connect()
        defer { Task { await server.stop() } }
        let whole = try await Self.exchange(client, ClientFrames.read(1, domain: Self.domain, item: Self.lcb))
        var reader = BERReader(whole)
        var response = try reader.readElement(.contextConstructed(1)).children
        _ = try response.readElement(.integer)
        var read = try response.readElement(.contextConstructed(4)).children
        var results = try read.readElement(.contextConstructed(1)).children
        var structure = try results.readElement(.contextConstructed(2)).children
        let components = try structure.readAll()
        #expect(components.count == 9)  // LogEna LogRef DatSet OldEntrTm NewEntrTm OldEntr NewEntr TrgOps IntgPd
        #expect(components[0].content.hexDump == "FF")
        #expect(components[1].stringValue == "DEMOGenericIO/LLN0$EventLog")
        #expect(components[2].stringValue == "DEMOGenericIO/LLN0$Events")
        #expect(components[7].content.hexDump == "02 60")  // dchg, qchg

        #expect(try await Self.write(client, "DatSet", .visibleString("")) == ReportingServiceTests.failure(2))  // logging: temporarily unavailable
        #expect(try await Self.write(client, "NewEntr", .octetString([UInt8](repeating: 0, count: 8))) == ReportingServiceTests.failure(3))
        #expect(try await Self.write(client, "LogEna", .boolean(false)) == ReportingServiceTests.success)
        #expect(try await Self.write(client, "LogRef", .visibleString("DEMOGenericIO/LLN0$Nothing")) == ReportingServiceTests.failure(11))
        #expect(try await Self.write(client, "LogRef", .visibleString("")) == ReportingServiceTests.success)
        #expect(try await Self.write(client, "LogEna", .boolean(true)) == ReportingServiceTests.failure(8))  // no log: inconsistent
        #expect(try await Self.write(client, "LogRef", .visibleString("DEMOGenericIO/LLN0$EventLog")) == ReportingServiceTests.success)
        #expect(try await Self.write(client, "IntgPd", .unsigned(1000)) == ReportingServiceTests.success)
        #expect(try await Self.write(client, "LogEna", .boolean(true)) == ReportingServiceTests.success)
        #expect(try await Self.read(client, "IntgPd").hasSuffix("86 02 03 E8"))
    }

    @Test("a change is logged on the LCB's triggers; the journal is listed, read by time and after an entry")
    func entriesAndQueries() async throws {
        let (server, client) = try await ControlServiceTests.connect()
        defer { Task { await server.stop() } }
        let names = try await Self.exchange(client, ClientFrames.getNameList(1, objectClass: 8, domain: Self.domain))
        #expect(names.hexDump.contains(hex(Array(Self.log.utf8))))

        let before = currentMilliseconds()
        try server.update("GenericIO/GGIO1.Ind2.stVal", to: .boolean(true))
        try server.update("GenericIO/GGIO1.Ind2.stVal", to: .boolean(true))  // no change: dupd is not a trigger here
        try server.update("GenericIO/GGIO1.Ind3.q", to: .quality(Quality(rawValue: 0x0040)))
        #expect(try await Self.read(client, "NewEntr").hasSuffix("89 08 00 00 00 00 00 00 00 02"))
        #expect(try await Self.read(client, "OldEntr").hasSuffix("89 08 00 00 00 00 00 00 00 01"))

        let (byTime, more) = try Self.entries(try await Self.exchange(client, Self.readJournal(2, from: before - 1000, to: currentMilliseconds() + 1000)))
        #expect(!more)
        #expect(byTime.map(\.id) == [1, 2])
        let first = try #require(byTime.first)
        #expect(first.variables.map(\.tag) == ["DEMOGenericIO/GGIO1$ST$Ind2$stVal", "ReasonCode"])
        #expect(first.variables[0].data == "83 01 FF")
        #expect(first.variables[1].data == "84 02 01 40")  // data change
        #expect(byTime[1].variables[0].tag == "DEMOGenericIO/GGIO1$ST$Ind3$q")
        #expect(byTime[1].variables[1].data == "84 02 01 20")  // quality change

        let (after, _) = try Self.entries(try await Self.exchange(client, Self.readJournal(3, after: (before, 1))))
        #expect(after.map(\.id) == [2])
        let (none, _) = try Self.entries(try await Self.exchange(client, Self.readJournal(4, from: before - 10_000, to: before - 5_000)))
        #expect(none.isEmpty)
    }

    @Test("3,000 entries come back in PDU-sized pages with moreFollows, none twice, none missing")
    func paging() async throws {
        let (server, client) = try await ControlServiceTests.connect()
        defer { Task { await server.stop() } }
        let handle = try server.handle(for: "GenericIO/GGIO1.Ind1.stVal")
        for index in 0..<3000 { try server.update(handle, to: .boolean(index % 2 == 0)) }
        var seen: [UInt64] = []
        var pages = 0
        var (page, more) = try Self.entries(try await Self.exchange(client, Self.readJournal(1, from: 0, to: currentMilliseconds() + 1000)))
        seen += page.map(\.id)
        while more, let last = page.last, pages < 100 {
            pages += 1
            (page, more) = try Self.entries(try await Self.exchange(client, Self.readJournal(Int64(pages + 1), after: (0, last.id))))
            seen += page.map(\.id)
        }
        #expect(pages > 0)
        #expect(seen == Array(1...3000))
    }

    @Test("an unknown journal is object-non-existent")
    func unknownJournal() async throws {
        let (server, client) = try await ControlServiceTests.connect()
        defer { Task { await server.stop() } }
        let frame = ClientFrames.request(1) { body in
            body.writeBERElement(.contextConstructed(65)) { request in
                request.writeBERElement(.contextConstructed(0)) { ObjectName.domainSpecific(domain: Self.domain, item: "LLN0$Nothing").encode(into: &$0) }
            }
        }
        #expect(try await Self.exchange(client, frame).hexDump == "A2 0A 80 01 01 A2 05 A0 03 87 01 02")  // access: object-non-existent
    }
}

@Suite("Log control block state machine")
struct LogControlBlockTests {
    static func time(_ ms: UInt64) -> ReportTime { ReportTime(monotonicNanoseconds: ms * 1_000_000, utcMilliseconds: 1_700_000_000_000 + ms) }

    @Test("integrity entries every IntgPd with every member; none while disabled")
    func integrity() throws {
        let definition = LogControlDefinition(name: "L", dataSet: "DS", logName: "Log", integrityPeriod: 100, triggerOptions: 1 << 4)
        var block = LogControlBlock(definition: definition, logReference: "LD/LLN0$Log", dataSetReference: "LD/LLN0$DS", memberCount: 2, now: Self.time(0))
        #expect(block.nextDeadline == 100_000_000)
        #expect(block.timerFired(now: Self.time(50)) { [[.boolean(true)], [.boolean(false)]] } == nil)
        let entry = try #require(block.timerFired(now: Self.time(100)) { [[.boolean(true)], [.boolean(false)]] })
        #expect(entry.map(\.member) == [0, 1])
        #expect(entry.allSatisfy { $0.reason == .integrity })
        #expect(block.nextDeadline == 200_000_000)
        #expect(block.membersChanged([IncludedMember(member: 0, reason: .dataChange, values: [])]) == nil)  // dchg not in TrgOps
        try block.write(.logEna, .boolean(false), LogControlBlock.Environment(now: Self.time(150)))
        #expect(block.nextDeadline == nil)
        #expect(block.timerFired(now: Self.time(300)) { [] } == nil)
    }
}
