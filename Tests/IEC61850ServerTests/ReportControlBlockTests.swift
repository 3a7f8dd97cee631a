import IEC61850Model
import Testing

@testable import IEC61850Server
@testable import MMSMapping

/// The report control block state machine without sockets, driven by a fake clock.
@Suite("Report control block state machine")
struct ReportControlBlockTests {
    static let alice = ReportControlBlock.Client(id: 1, address: [127, 0, 0, 1])
    static let bob = ReportControlBlock.Client(id: 2, address: [10, 0, 0, 2])

    /// A block over a data set of three members; `dchg`, `qchg` and `gi` triggers; sequence number, reason code.
    static func block(buffered: Bool = false, bufferTime: UInt32 = 0, integrity: UInt32 = 0, capacity: Int = 100) -> ReportControlBlock {
        let definition = ReportControlDefinition(
            name: "rcb", confRev: 1, buffered: buffered, bufferTime: bufferTime, integrityPeriod: integrity,
            triggerOptions: ReportTrigger([.dataChange, .qualityChange, .generalInterrogation] + (integrity > 0 ? [.integrity] : [])).rawValue,
            optionalFields: ReportOptions([.sequenceNumber, .reasonCode, .entryID]).rawValue)
        return ReportControlBlock(
            definition: definition, defaultRptID: "LD/LLN0$RP$rcb01", dataSetReference: "LD/LLN0$DS", memberCount: 3, bufferCapacity: capacity)
    }

    static func time(ms: UInt64) -> ReportTime { ReportTime(monotonicNanoseconds: ms * 1_000_000, utcMilliseconds: 1_700_000_000_000 + ms) }
    static func at(_ ms: UInt64) -> ReportControlBlock.Environment { .init(now: time(ms: ms), resolve: { $0 == "LD/LLN0$Other" ? 2 : nil }) }
    static func change(_ member: Int, _ reason: ReportTrigger = .dataChange, _ value: Int64 = 1) -> IncludedMember {
        IncludedMember(member: member, reason: reason, values: [.integer(value)])
    }
    static func snapshot() -> [[DataValue]] { [[.integer(10)], [.integer(11)], [.integer(12)]] }

    static func reports(_ actions: [ReportControlBlock.Action]) -> [ReportContent] {
        actions.compactMap { if case .send(let content, _) = $0 { content } else { nil } }
    }

    static func enabled(_ block: ReportControlBlock, by client: ReportControlBlock.Client = alice, at ms: UInt64 = 0) throws -> ReportControlBlock {
        var block = block
        _ = try block.write(.rptEna, .boolean(true), by: client, at(ms))
        return block
    }

    @Test("a client cannot write an IntgPd below the minimum, nor a ResvTms that is negative or past the maximum; nothing changes")
    func limits() throws {
        var block = Self.block(buffered: true)
        for value in [UInt64(1), 99, UInt64(UInt32.max) + 1] {
            #expect(throws: ReportControlBlock.Refusal.valueInvalid) { try block.write(.intgPd, .unsigned(value), by: Self.alice, Self.at(0)) }
        }
        #expect(block.value(of: .intgPd) == .unsigned(0))
        _ = try block.write(.intgPd, .unsigned(100), by: Self.alice, Self.at(0))
        _ = try block.write(.intgPd, .unsigned(0), by: Self.alice, Self.at(0))
        for value in [Int64(-1), -32768, 3601] {
            #expect(throws: ReportControlBlock.Refusal.valueInvalid) { try block.write(.resvTms, .integer(value), by: Self.alice, Self.at(0)) }
        }
        #expect(block.value(of: .resvTms) == .integer(0))
        _ = try block.write(.resvTms, .integer(3600), by: Self.alice, Self.at(0))
        #expect(block.value(of: .resvTms) == .integer(3600))
        // The reservation ends when ResvTms says, however the client left.
        let closing = block.associationClosed(Self.alice, now: Self.time(ms: 0))
        #expect(closing == [.schedule(atNanoseconds: 3_600_000_000_000)])
    }

    @Test("a log control block refuses an IntgPd below the minimum")
    func logLimits() throws {
        let definition = LogControlDefinition(name: "L", dataSet: "DS", logName: "Log", integrityPeriod: 1000, triggerOptions: 1 << 4)
        var block = LogControlBlock(definition: definition, logReference: "LD/LLN0$Log", dataSetReference: "LD/LLN0$DS", memberCount: 2, now: Self.time(ms: 0))
        #expect(throws: LogControlBlock.Refusal.valueInvalid) {
            try block.write(.intgPd, .unsigned(1), LogControlBlock.Environment(now: Self.time(ms: 0)))
        }
        #expect(block.value(of: .intgPd) == .unsigned(1000))
    }

    @Test("BufTm 0: one report per change (or per batch), sequence numbers count up")
    func immediate() throws {
        var block = try Self.enabled(Self.block())
        let first = Self.reports(block.membersChanged([Self.change(1)], now: Self.time(ms: 1)))
        let batch = Self.reports(block.membersChanged([Self.change(0), Self.change(2, .qualityChange)], now: Self.time(ms: 2)))
        #expect(first.map(\.sequenceNumber) == [0])
        #expect(first.first?.members.map(\.member) == [1])
        #expect(batch.count == 1)
        #expect(batch.first?.sequenceNumber == 1)
        #expect(batch.first?.members.map(\.member) == [0, 2])
        #expect(batch.first?.members.map(\.reason) == [.dataChange, .qualityChange])
        #expect(block.value(of: .sqNum) == .unsigned(2))
    }

    @Test("BufTm: changes inside the buffer time go out together when it expires")
    func bufferTime() throws {
        var block = try Self.enabled(Self.block(bufferTime: 50))
        let first = block.membersChanged([Self.change(0)], now: Self.time(ms: 100))
        #expect(first == [.schedule(atNanoseconds: 150_000_000)])
        #expect(block.membersChanged([Self.change(2)], now: Self.time(ms: 120)).isEmpty)
        #expect(Self.reports(block.timerFired(now: Self.time(ms: 149), snapshot: Self.snapshot)).isEmpty)  // early: nothing due
        let sent = Self.reports(block.timerFired(now: Self.time(ms: 150), snapshot: Self.snapshot))
        #expect(sent.count == 1)
        #expect(sent.first?.members.map(\.member) == [0, 2])
        #expect(sent.first?.timeOfEntry == Self.time(ms: 100).utcMilliseconds)
    }

    @Test("BufTm: the same member changing again sends the pending report first")
    func bufferTimeRepeat() throws {
        var block = try Self.enabled(Self.block(bufferTime: 50))
        _ = block.membersChanged([Self.change(0, .dataChange, 1)], now: Self.time(ms: 0))
        let second = block.membersChanged([Self.change(0, .dataChange, 2)], now: Self.time(ms: 10))
        let flushed = Self.reports(second)
        #expect(flushed.count == 1)
        #expect(flushed.first?.members.first?.values == [.integer(1)])
        #expect(second.contains(.schedule(atNanoseconds: 60_000_000)))
        let later = Self.reports(block.timerFired(now: Self.time(ms: 60), snapshot: Self.snapshot))
        #expect(later.first?.members.first?.values == [.integer(2)])
        #expect(later.first?.sequenceNumber == 1)
    }

    @Test("GI: pending events first, then every member with reason GI; GI while disabled is refused")
    func generalInterrogation() throws {
        var idle = Self.block()
        #expect(throws: ReportControlBlock.Refusal.temporarilyUnavailable) { try idle.write(.gi, .boolean(true), by: Self.alice, Self.at(0)) }
        var block = try Self.enabled(Self.block(bufferTime: 1000))
        _ = block.membersChanged([Self.change(1)], now: Self.time(ms: 1))
        let sent = Self.reports(try block.write(.gi, .boolean(true), by: Self.alice, Self.at(2), snapshot: Self.snapshot))
        #expect(sent.count == 2)
        #expect(sent[0].members.map(\.member) == [1])
        #expect(sent[1].members.map(\.member) == [0, 1, 2])
        #expect(sent[1].members.allSatisfy { $0.reason == .generalInterrogation })
        #expect(sent[1].members.map(\.values) == Self.snapshot())
        #expect(block.value(of: .gi) == .boolean(false))
    }

    @Test("Integrity: every IntgPd a report with all members; a late timer does not burst")
    func integrity() throws {
        var block = Self.block(integrity: 200)
        let enable = try block.write(.rptEna, .boolean(true), by: Self.alice, Self.at(0))
        #expect(enable == [.schedule(atNanoseconds: 200_000_000)])
        let first = block.timerFired(now: Self.time(ms: 200), snapshot: Self.snapshot)
        #expect(Self.reports(first).first?.members.count == 3)
        #expect(Self.reports(first).first?.members.first?.reason == .integrity)
        #expect(first.contains(.schedule(atNanoseconds: 400_000_000)))
        let late = block.timerFired(now: Self.time(ms: 1000), snapshot: Self.snapshot)
        #expect(Self.reports(late).count == 1)
        #expect(late.contains(.schedule(atNanoseconds: 1_200_000_000)))
    }

    @Test("Write rules: read-only attributes, enabled blocks, other clients' reservations")
    func writeRules() throws {
        var block = Self.block()
        #expect(throws: ReportControlBlock.Refusal.accessDenied) { try block.write(.confRev, .unsigned(5), by: Self.alice, Self.at(0)) }
        _ = try block.write(.intgPd, .unsigned(1000), by: Self.alice, Self.at(0))  // implicit reservation
        #expect(block.value(of: .resv) == .boolean(true))
        #expect(block.value(of: .owner) == .octets([127, 0, 0, 1]))
        #expect(throws: ReportControlBlock.Refusal.temporarilyUnavailable) { try block.write(.rptEna, .boolean(true), by: Self.bob, Self.at(0)) }
        _ = try block.write(.rptEna, .boolean(true), by: Self.alice, Self.at(0))
        #expect(throws: ReportControlBlock.Refusal.temporarilyUnavailable) { try block.write(.bufTm, .unsigned(10), by: Self.alice, Self.at(0)) }
        #expect(throws: ReportControlBlock.Refusal.temporarilyUnavailable) { try block.write(.rptEna, .boolean(false), by: Self.bob, Self.at(0)) }
        _ = try block.write(.rptEna, .boolean(false), by: Self.alice, Self.at(0))
        #expect(throws: ReportControlBlock.Refusal.valueInvalid) { try block.write(.datSet, .string("LD/LLN0$Nope"), by: Self.alice, Self.at(0)) }
        #expect(throws: ReportControlBlock.Refusal.typeInconsistent) { try block.write(.bufTm, .boolean(true), by: Self.alice, Self.at(0)) }
        _ = try block.write(.datSet, .string("LD/LLN0$Other"), by: Self.alice, Self.at(0))
        #expect(block.value(of: .confRev) == .unsigned(2))
        #expect(block.memberCount == 2)
        _ = try block.write(.resv, .boolean(false), by: Self.alice, Self.at(0))
        _ = try block.write(.resv, .boolean(true), by: Self.bob, Self.at(0))
        #expect(block.value(of: .owner) == .octets([10, 0, 0, 2]))
    }

    @Test("URCB: the owner's association ends, the block is disabled and free again")
    func unbufferedRelease() throws {
        var block = try Self.enabled(Self.block())
        _ = block.associationClosed(Self.alice, now: Self.time(ms: 1))
        #expect(block.value(of: .rptEna) == .boolean(false))
        #expect(block.value(of: .resv) == .boolean(false))
        #expect(Self.reports(block.membersChanged([Self.change(0)], now: Self.time(ms: 2))).isEmpty)
        _ = try block.write(.rptEna, .boolean(true), by: Self.bob, Self.at(3))
    }

    @Test("BRCB: buffers while disabled, resends after the EntryID a client writes, nothing lost or repeated")
    func bufferedResync() throws {
        var block = try Self.enabled(Self.block(buffered: true))
        let seen = Self.reports(block.membersChanged([Self.change(0, .dataChange, 1)], now: Self.time(ms: 1)))
        let lastSeen = try #require(seen.first?.entryID)
        _ = block.associationClosed(Self.alice, now: Self.time(ms: 2))
        for value in 2...4 { #expect(block.membersChanged([Self.change(1, .dataChange, Int64(value))], now: Self.time(ms: UInt64(value) * 10)).isEmpty) }
        _ = try block.write(.entryID, .octets(lastSeen), by: Self.bob, Self.at(100))
        let resent = Self.reports(try block.write(.rptEna, .boolean(true), by: Self.bob, Self.at(100)))
        #expect(resent.map { $0.members.first?.values } == [[.integer(2)], [.integer(3)], [.integer(4)]])
        #expect(resent.map(\.sequenceNumber) == [0, 1, 2])
        #expect(resent.allSatisfy { !$0.bufferOverflow })
        let ids = resent.compactMap(\.entryID).map { $0.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        #expect(ids == ids.sorted() && Set(ids).count == 3)
        #expect(block.value(of: .entryID) == .octets(resent.last!.entryID!))
    }

    @Test("BRCB: an unknown EntryID is refused; enabling without one starts from the oldest with BufOvfl")
    func bufferedWithoutResync() throws {
        var block = Self.block(buffered: true)
        _ = block.membersChanged([Self.change(0)], now: Self.time(ms: 1))
        _ = block.membersChanged([Self.change(1)], now: Self.time(ms: 2))
        #expect(throws: ReportControlBlock.Refusal.valueInvalid) { try block.write(.entryID, .octets([9, 9, 9, 9, 9, 9, 9, 9]), by: Self.alice, Self.at(3)) }
        let sent = Self.reports(try block.write(.rptEna, .boolean(true), by: Self.alice, Self.at(3)))
        #expect(sent.map(\.bufferOverflow) == [true, false])
        #expect(sent.map { $0.members.map(\.member) } == [[0], [1]])
    }

    @Test("BRCB: entries buffered before the client set OptFlds go out with the OptFlds it set")
    func bufferedTakeCurrentOptions() throws {
        var block = Self.block(buffered: true)
        _ = block.membersChanged([Self.change(0)], now: Self.time(ms: 1))
        let options = ReportOptions([.sequenceNumber, .reportTimeStamp, .reasonCode, .entryID, .bufferOverflow])
        _ = try block.write(.optFlds, .bits(options.rawValue), by: Self.alice, Self.at(2))
        let sent = Self.reports(try block.write(.rptEna, .boolean(true), by: Self.alice, Self.at(3)))
        #expect(sent.count == 1)
        #expect(sent.first?.options == options)
    }

    @Test("BRCB: a full buffer drops the oldest and says BufOvfl; PurgeBuf empties it")
    func bufferedOverflowAndPurge() throws {
        var block = Self.block(buffered: true, capacity: 2)
        for index in 0..<3 { _ = block.membersChanged([Self.change(index)], now: Self.time(ms: UInt64(index))) }
        var purged = block
        _ = try purged.write(.purgeBuf, .boolean(true), by: Self.alice, Self.at(5))
        #expect(Self.reports(try purged.write(.rptEna, .boolean(true), by: Self.alice, Self.at(5))).isEmpty)
        _ = try block.write(.entryID, .octets([0, 0, 0, 0, 0, 0, 0, 0]), by: Self.alice, Self.at(5))
        let sent = Self.reports(try block.write(.rptEna, .boolean(true), by: Self.alice, Self.at(5)))
        #expect(sent.map { $0.members.map(\.member) } == [[1], [2]])
        #expect(sent.first?.bufferOverflow == true)
    }

    @Test("BRCB: BufTm applies while disabled too; the buffered entry keeps the first event's time")
    func bufferedBufferTime() throws {
        var block = Self.block(buffered: true, bufferTime: 50)
        _ = block.membersChanged([Self.change(0)], now: Self.time(ms: 10))
        _ = block.membersChanged([Self.change(2)], now: Self.time(ms: 20))
        _ = block.timerFired(now: Self.time(ms: 60), snapshot: Self.snapshot)
        let sent = Self.reports(try block.write(.rptEna, .boolean(true), by: Self.alice, Self.at(70)))
        #expect(sent.count == 1)
        #expect(sent.first?.members.map(\.member) == [0, 2])
        #expect(sent.first?.timeOfEntry == Self.time(ms: 10).utcMilliseconds)
    }

    @Test("ResvTms: a BRCB stays reserved for its client's address, then frees itself")
    func reservationTime() throws {
        var block = Self.block(buffered: true)
        _ = try block.write(.resvTms, .integer(5), by: Self.alice, Self.at(0))
        _ = try block.write(.rptEna, .boolean(true), by: Self.alice, Self.at(0))
        let closing = block.associationClosed(Self.alice, now: Self.time(ms: 1000))
        #expect(closing == [.schedule(atNanoseconds: 6_000_000_000)])
        #expect(throws: ReportControlBlock.Refusal.temporarilyUnavailable) { try block.write(.rptEna, .boolean(true), by: Self.bob, Self.at(2000)) }
        let again = ReportControlBlock.Client(id: 3, address: Self.alice.address)  // the same client, reconnected
        var reconnected = block
        _ = try reconnected.write(.rptEna, .boolean(true), by: again, Self.at(2000))
        _ = block.timerFired(now: Self.time(ms: 6000), snapshot: Self.snapshot)
        _ = try block.write(.rptEna, .boolean(true), by: Self.bob, Self.at(6001))
    }

    @Test("URCB sequence numbers wrap at 256")
    func sequenceWrap() throws {
        var block = try Self.enabled(Self.block())
        var last: UInt32 = 0
        for index in 0..<257 { last = Self.reports(block.membersChanged([Self.change(index % 3)], now: Self.time(ms: UInt64(index)))).first!.sequenceNumber }
        #expect(last == 0)
    }
}
