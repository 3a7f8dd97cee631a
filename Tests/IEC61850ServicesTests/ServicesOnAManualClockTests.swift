import IEC61850Model
import IEC61850TestSupport
import Logging
import Synchronization
import Testing

@testable import IEC61850Services

/// The services' state machines driven by a manual clock: no event loop, no socket, no MMS, no waiting.
@Suite("Services on a manual clock")
struct ServicesOnAManualClockTests {
    /// A data set member as a test resolves it (the services never look inside a binding).
    final class Binding: DataSetMemberBinding {}

    /// IED T, LD0: LLN0 with data set DS (AnIn1's magnitude) and a URCB on it with an integrity period
    /// of 1 s and a buffer time of 500 ms; GGIO1 with an SBO-normal SPC and a direct-normal SPC.
    static func model() -> IedModel {
        var builder = IedModelBuilder(iedName: "T")
        var lln0 = LogicalNodeSpec(lnClass: "LLN0", dataObjects: [CDC.ens("Mod")])
        lln0.dataSets = [
            DataSetDefinition(name: "DS", members: [DataSetMember(ldInst: "LD0", lnClass: "GGIO", lnInst: "1", doName: "AnIn1", daName: "mag.f", fc: .mx)])
        ]
        lln0.reportControls = [
            ReportControlDefinition(name: "urcb", dataSet: "DS", bufferTime: 500, integrityPeriod: 1000, triggerOptions: 0b10010, optionalFields: 0b1_0000_0010)
        ]
        let ggio = LogicalNodeSpec(
            lnClass: "GGIO", inst: "1",
            dataObjects: [CDC.mv("AnIn1"), CDC.spc("SPCSO1", ctlModel: .sboWithNormalSecurity), CDC.spc("SPCSO2", ctlModel: .directWithNormalSecurity)])
        builder.addLogicalDevice(LogicalDeviceSpec(inst: "LD0", logicalNodes: [lln0, ggio]))
        return builder.build()
    }

    static func services(_ model: IedModel, clock: ManualClock) throws -> IedServices {
        let layout = ReportControlLayout(model: model)
        let logLayout = LogControlLayout(model: model, firstSlot: model.slotTypes.count + layout.slotTypes.count)
        let magnitude = try #require(model.handle(for: "LD0/GGIO1.AnIn1.mag.f"))
        let member = DataSetEntry.Member(reference: "TLD0/GGIO1.AnIn1.mag.f[MX]", slots: [magnitude.slot], binding: Binding())
        let settings = ServiceSettings(
            dataSetsPerLogicalDevice: 10, reportBufferEntries: 100, logStorage: nil, inMemoryLogEntries: 100, controlBlockLimits: ControlBlockLimits(),
            controlTimeout: .seconds(10), maximumOperateDelay: .seconds(60))
        let services = IedServices(
            model: model, settings: settings, reportLayout: layout, logLayout: logLayout,
            staticDataSets: ["TLD0": ["LLN0$DS": DataSetEntry(members: [member], deletable: false)]],
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            clock: { ReportTime(monotonicNanoseconds: clock.nanoseconds, utcMilliseconds: clock.utcMilliseconds) })
        services.attach(clock)
        return services
    }

    @Test("a selection made by reading SBO is dropped when the select timeout passes, by the timer alone")
    func selectionExpires() throws {
        let clock = ManualClock()
        let services = try Self.services(Self.model(), clock: clock)
        let index = try #require(services.control.index(of: "LD0/GGIO1.SPCSO1"))
        #expect(services.control.selectByRead(index, client: 1))
        #expect(!services.control.selectByRead(index, client: 2))  // held by association 1
        clock.advance(byMilliseconds: 29_999)
        #expect(services.control.selection(of: index) == 1)
        clock.advance(byMilliseconds: 1_002)  // the object's sboTimeout (30 s, CDC.spc's) has passed, and its timer fired
        #expect(services.control.selection(of: index) == nil)
        #expect(clock.pendingTimers == 0)
        #expect(services.control.selectByRead(index, client: 2))
    }

    @Test("an operate whose handler never answers fails with time-limit-over when the operate timeout passes")
    func operateTimesOut() async throws {
        let clock = ManualClock()
        let services = try Self.services(Self.model(), clock: clock)
        try services.setControlHandler(for: "LD0/GGIO1.SPCSO2") { _ in
            .waiting {
                try? await Task.sleep(for: .seconds(3600)); return .success
            }
        }
        let index = try #require(services.control.index(of: "LD0/GGIO1.SPCSO2"))
        let outputs = Mutex<[String]>([])
        let responder = ControlResponder(
            lastApplError: { error in outputs.withLock { $0.append("LastApplError \(error.cause)") } },
            terminate: { _ in outputs.withLock { $0.append("CommandTermination") } },
            respondLater: { failed in outputs.withLock { $0.append(failed ? "negative" : "positive") } })
        let request = ControlRequest(
            parameters: ControlStateMachine.Parameters(value: .boolean(true), originCategory: 3, originIdentifier: [], controlNumber: 1, test: false, check: 0),
            operateTime: nil)
        let answer = services.control.handle(
            request, service: .operate, object: index, connection: ClientConnection(id: 1, peerAddress: nil), responder: responder)
        guard case .deferred = answer else { Issue.record("the answer of a direct operate waits for its execution: \(answer)"); return }
        clock.advance(byMilliseconds: 9_999)
        #expect(outputs.withLock { $0 }.isEmpty)
        clock.advance(byMilliseconds: 1)
        #expect(outputs.withLock { $0 } == ["LastApplError timeLimitOver", "negative"])
    }

    /// The reports of the URCB, enabled by association 1.
    final class Reports: Sendable {
        private let list = Mutex<[ReportContent]>([])
        func append(_ report: ReportContent) { list.withLock { $0.append(report) } }
        var all: [ReportContent] { list.withLock { $0 } }
    }

    static func enableReports(_ services: IedServices) throws -> Reports {
        let reports = Reports()
        services.reporting.register(1) { report in reports.append(report.content) }
        let block = services.reportLayout.blocks[0]
        let offset = try #require(block.attributes.firstIndex(of: .rptEna))
        let client = ReportControlBlock.Client(id: 1, address: [127, 0, 0, 1])
        #expect(
            services.reporting.write(slot: block.firstSlot + offset, .boolean(true), client: client, associationSets: AssociationDataSets(limit: 1))
                == nil)
        return reports
    }

    @Test("an integrity report comes each IntgPd; a data change waits in the buffer for BufTm")
    func integrityAndBufferTime() throws {
        let clock = ManualClock()
        let model = Self.model()
        let services = try Self.services(model, clock: clock)
        let reports = try Self.enableReports(services)

        clock.advance(byMilliseconds: 999)
        #expect(reports.all.isEmpty)
        clock.advance(byMilliseconds: 1)
        #expect(reports.all.map(\.members) == [[IncludedMember(member: 0, reason: .integrity, values: [.float32(0)])]])

        try services.update("LD0/GGIO1.AnIn1.mag.f", to: .float32(42))
        clock.advance(byMilliseconds: 499)
        #expect(reports.all.count == 1)  // buffered
        clock.advance(byMilliseconds: 1)
        #expect(reports.all.last?.members == [IncludedMember(member: 0, reason: .dataChange, values: [.float32(42)])])
    }
}
