import IEC61850Model
import IEC61850TestSupport
import Synchronization
import Testing

@testable import IEC61850Services

/// Substitution (IEC 61850-7-3 subEna, subVal/subMag, subQ, subID) in model terms, on a manual clock.
@Suite("Substitution")
struct SubstitutionTests {
    /// The server's events, as an observer collects them.
    final class Events: Sendable {
        private let list = Mutex<[ServerEvent]>([])
        func append(_ event: ServerEvent) { list.withLock { $0.append(event) } }
        var all: [ServerEvent] { list.withLock { $0 } }
    }

    static func setUp() throws -> (IedServices, ManualClock, Events) {
        let clock = ManualClock()
        let services = try ServicesOnAManualClockTests.services(ServicesOnAManualClockTests.model(), clock: clock)
        let events = Events()
        services.setEventObserver { event in events.append(event) }
        return (services, clock, events)
    }

    static func quality(_ services: IedServices, _ reference: String) throws -> Quality {
        guard case .quality(let quality) = services.value(of: try services.handle(for: reference)) else { throw ServerError.unknownReference(reference) }
        return quality
    }

    @Test("the model's MV and SPC are substitutable; the LLN0's ENS is not")
    func table() throws {
        let (services, _, _) = try Self.setUp()
        #expect(services.isSubstitutable("LD0/GGIO1.AnIn1") && services.isSubstitutable("LD0/GGIO1.SPCSO1"))
        #expect(!services.isSubstitutable("LD0/LLN0.Mod"))
        let entry = try #require(services.reporting.substitutions.entry(for: "LD0/GGIO1.AnIn1"))
        let pairs = services.reporting.substitutions.entries[entry].pairs
        let magnitude = try services.handle(for: "LD0/GGIO1.AnIn1.mag.f").slot
        #expect(pairs.count == 1 && pairs[0].process == magnitude)
        #expect(throws: ServerError.notSubstitutable("LD0/LLN0.Mod")) { try services.substitute("LD0/LLN0.Mod", with: .integer(1), by: "test") }
    }

    @Test("a client's SV writes substitute: the substitute is served with q.source substituted; process writes are held, then restored")
    func byWrites() throws {
        let (services, clock, events) = try Self.setUp()
        clock.advance(byMilliseconds: 5_000)
        try services.batch { batch in
            try batch.set(services.handle(for: "LD0/GGIO1.AnIn1.mag.f"), .float32(230))
            try batch.set(services.handle(for: "LD0/GGIO1.AnIn1.q"), .quality(.good))
        }
        // As a client writes them, one by one: nothing changes until subEna.
        for (reference, value) in [("subMag.f", DataValue.float32(0)), ("subQ", .quality(Quality(validity: .questionable))), ("subID", .string("op1"))] {
            let slot = try services.handle(for: "LD0/GGIO1.AnIn1.\(reference)").slot
            #expect(services.reporting.apply(CollectionOfOne((slot: slot, value: value))).isEmpty)
        }
        #expect(services.value(of: try services.handle(for: "LD0/GGIO1.AnIn1.mag.f")) == .float32(230))
        let enableSlot = try services.handle(for: "LD0/GGIO1.AnIn1.subEna").slot
        let started = services.reporting.apply(CollectionOfOne((slot: enableSlot, value: DataValue.boolean(true))))
        var expected = Quality(validity: .questionable)
        expected.insert(.substituted)
        #expect(started == [SubstitutionChange(object: "LD0/GGIO1.AnIn1", enabled: true, values: [.float32(0)], quality: expected, identifier: "op1")])
        #expect(services.value(of: try services.handle(for: "LD0/GGIO1.AnIn1.mag.f")) == .float32(0))
        #expect(try Self.quality(services, "LD0/GGIO1.AnIn1.q") == expected)
        #expect(services.value(of: try services.handle(for: "LD0/GGIO1.AnIn1.t")) == .timestamp(Timestamp(millisecondsSinceEpoch: clock.utcMilliseconds)))

        // The field moves on meanwhile: held, not served.
        try services.batch { batch in
            try batch.set(services.handle(for: "LD0/GGIO1.AnIn1.mag.f"), .float32(231.5))
            try batch.set(services.handle(for: "LD0/GGIO1.AnIn1.q"), .quality(Quality(validity: .invalid)))
        }
        #expect(services.value(of: try services.handle(for: "LD0/GGIO1.AnIn1.mag.f")) == .float32(0))
        #expect(try Self.quality(services, "LD0/GGIO1.AnIn1.q") == expected)

        // Released: the latest process value and quality are back.
        try services.update("LD0/GGIO1.AnIn1.subEna", to: .boolean(false))
        #expect(services.value(of: try services.handle(for: "LD0/GGIO1.AnIn1.mag.f")) == .float32(231.5))
        #expect(try Self.quality(services, "LD0/GGIO1.AnIn1.q") == Quality(validity: .invalid))
        let released = events.all.compactMap { event -> SubstitutionChange? in
            guard case .substitution(let change, nil, nil) = event else { return nil }
            return change
        }
        #expect(released == [SubstitutionChange(object: "LD0/GGIO1.AnIn1", enabled: false, values: [.float32(231.5)], quality: nil, identifier: nil)])
    }

    @Test("through the API: substitute and end, with who in the events; reports carry the substitute")
    func byAPI() throws {
        let (services, clock, events) = try Self.setUp()
        let reports = try ServicesOnAManualClockTests.enableReports(services)
        try services.update("LD0/GGIO1.AnIn1.mag.f", to: .float32(10))
        try services.substitute("LD0/GGIO1.AnIn1", with: .float32(99), quality: .good, by: "HTTP 127.0.0.1:5000")
        clock.advance(byMilliseconds: 500)
        #expect(reports.all.last?.members == [IncludedMember(member: 0, reason: .dataChange, values: [.float32(99)])])
        try services.endSubstitution(of: "LD0/GGIO1.AnIn1", by: "HTTP 127.0.0.1:5000")
        clock.advance(byMilliseconds: 500)  // (with the integrity period's report, which carries the same)
        #expect(reports.all.last?.members.map(\.values) == [[.float32(10)]])
        let who = events.all.compactMap { event -> String? in
            guard case .substitution(let change, _, let by) = event else { return nil }
            return "\(change.enabled) \(by ?? "?")"
        }
        #expect(who == ["true HTTP 127.0.0.1:5000", "false HTTP 127.0.0.1:5000"])
        #expect(throws: ServerError.self) { try services.substitute("LD0/GGIO1.AnIn1", with: .boolean(true), by: "x") }
    }
}
