import Dispatch
import IEC61850Model
import IEC61850Services
import Logging
import MMS
import NIOCore
import Synchronization

/// Answers MMS confirmed requests from the model: the MMS side of the server, shared by every association.
///
/// It runs on the association's event loop and writes each response straight into the outbound buffer.
package final class MMSServiceBackend: Sendable {
    package let model: IedModel
    package let namespace: MMSNamespace
    /// The services the MMS requests reach.
    package let services: IedServices
    /// What the mapping takes of the server's configuration.
    package let settings: MMSSettings
    // The services' parts, held here too: every request reads some of them, on every event loop at once,
    // and a stored reference costs no retain per access (a computed one does, on a shared count).
    package let store: ValueStore
    package let dataSets: DataSetStore
    package let reporting: ReportingEngine
    package let control: ControlService
    package let logStorage: (any LogStorage)?
    package let events: ServerEventObservers
    /// The controllable objects' MMS names and variables, by the control service's object index.
    package let controlTargets: MMSControlTargets
    /// Refusals for the audit trail (access, and the server's own), floods of one kind summarised.
    package let refusals = Mutex(RefusalSummary())
    /// Where ReadJournal queries run, off the event loops, the associations in turn.
    package let journals = JournalScheduler()
    package let logger: Logger

    /// The file services' store; nil when they are off.
    package let files: FileStore?

    /// The services this server answers, for the initiate response.
    package static let servicesSupported = ServicesSupported([
        ServicesSupported.status, ServicesSupported.getNameList, ServicesSupported.identify, ServicesSupported.read,
        ServicesSupported.write, ServicesSupported.getVariableAccessAttributes, ServicesSupported.defineNamedVariableList,
        ServicesSupported.getNamedVariableListAttributes, ServicesSupported.deleteNamedVariableList, ServicesSupported.readJournal,
        ServicesSupported.informationReport,
        ServicesSupported.conclude,
    ])

    /// The file services, offered when the server has a file store (FileDirectory, FileOpen, FileRead,
    /// FileClose; FileDelete and ObtainFile when deleting and storing files are enabled).
    package static func fileServices(deleting: Bool, writing: Bool) -> [Int] {
        [ServicesSupported.fileOpen, ServicesSupported.fileRead, ServicesSupported.fileClose, ServicesSupported.fileDirectory]
            + (deleting ? [ServicesSupported.fileDelete] : []) + (writing ? [ServicesSupported.obtainFile] : [])
    }

    /// What this server offers in its initiate response.
    package var offeredServices: ServicesSupported {
        guard let files else { return Self.servicesSupported }
        return Self.servicesSupported.adding(
            Self.fileServices(deleting: files.settings.allowsDelete && files.hasFolder, writing: files.settings.allowsWrite && files.hasFolder))
    }

    /// - Parameter clock: the reporting engine's time (a test or fuzzing clock; the system's by default).
    package init(
        model: IedModel, settings: MMSSettings, serviceSettings: ServiceSettings, logger: Logger, clock: (@Sendable () -> ReportTime)? = nil
    ) {
        self.model = model
        let layout = ReportControlLayout(model: model)
        let logLayout = LogControlLayout(model: model, firstSlot: model.slotTypes.count + layout.slotTypes.count)
        let namespace = MMSNamespace(model: model, reportControls: layout, logControls: logLayout)
        self.namespace = namespace
        self.settings = settings
        self.logger = logger
        let services = IedServices(
            model: model, settings: serviceSettings, reportLayout: layout, logLayout: logLayout,
            staticDataSets: Self.staticDataSets(model: model, namespace: namespace, logger: logger), logger: logger, clock: clock)
        self.services = services
        store = services.store
        dataSets = services.dataSets
        reporting = services.reporting
        control = services.control
        logStorage = services.logStorage
        events = services.events
        controlTargets = MMSControlTargets(objects: services.control.objects, model: model, namespace: namespace)
        files = settings.files.flatMap { files in
            Self.makeFileStore(files, model: model, extra: settings.fileSources, logger: logger)
        }
    }

    /// The SCL's data sets, their members resolved.
    private static func staticDataSets(model: IedModel, namespace: MMSNamespace, logger: Logger) -> [String: [String: DataSetEntry]] {
        var sets: [String: [String: DataSetEntry]] = [:]
        for domain in namespace.domains {
            for (item, definition) in domain.dataSets {
                let members = definition.members.compactMap { member -> DataSetEntry.Member? in
                    let (memberDomain, memberItem) = mmsName(of: member, in: model)
                    guard let variable = namespace.variable(domain: memberDomain, item: memberItem) else {
                        logger.warning("data set \(domain.name)/\(item): member \(memberDomain)/\(memberItem) does not exist; left out")
                        return nil
                    }
                    return DataSetEntry.Member(
                        specification: VariableSpecification(name: .domainSpecific(domain: memberDomain, item: memberItem)), variable: variable)
                }
                sets[domain.name, default: [:]][item] = DataSetEntry(members: members, deletable: false)
            }
        }
        return sets
    }

    /// Negotiates an initiate request: the response values, or the initiate error code.
    package func negotiate(_ request: InitiateRequest) -> Result<InitiateResponse, InitiateFailure> {
        let proposed = request.localDetailCalling ?? Int64(settings.maximumMMSPDUSize)
        guard proposed >= 64 else { return .failure(InitiateFailure(code: 2)) }  // max-segment-insufficient
        let pduSize = min(proposed, Int64(settings.maximumMMSPDUSize))
        let outstanding = Int64(settings.maximumServicesOutstanding)
        let offeredCBB = MMSBitString(bytes: [0xF1, 0x00], bitCount: 11)  // str1, str2, vnam, valt, vlis
        var cbb = offeredCBB
        for index in cbb.bytes.indices where index < request.parameterCBB.bytes.count { cbb.bytes[index] &= request.parameterCBB.bytes[index] }
        return .success(
            InitiateResponse(
                localDetailCalled: pduSize,
                maxServicesOutstandingCalling: max(1, min(request.maxServicesOutstandingCalling, outstanding)),
                maxServicesOutstandingCalled: max(1, min(request.maxServicesOutstandingCalled, outstanding)),
                dataStructureNestingLevel: min(
                    request.dataStructureNestingLevel ?? Int64(settings.dataStructureNestingLevel), Int64(settings.dataStructureNestingLevel)),
                parameterCBB: cbb, servicesSupportedCalled: offeredServices.bitString))
    }

    package struct InitiateFailure: Error {
        package let code: Int64
    }

    /// Writes the response PDU (confirmed response, confirmed error or reject) for one request.
    package func respond(to request: ConfirmedServiceRequest, invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer) {
        switch request {
        case .identify:
            MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) {
                MMSResponseEncoder.writeIdentifyResponse(
                    vendor: settings.vendor, model: settings.model, revision: settings.revision, into: &$0)
            }
        case .status:
            MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) { MMSResponseEncoder.writeStatusResponse(into: &$0) }
        case .read(let withResult, let specification):
            read(specification, withResult: withResult, invokeID: invokeID, session: session, into: &buffer)
        case .write(let specification, let data):
            write(specification, data: data, invokeID: invokeID, session: session, into: &buffer)
        case .getNameList(let request):
            getNameList(request, invokeID: invokeID, session: session, into: &buffer)
        case .getVariableAccessAttributes(let name):
            getVariableAccessAttributes(name, invokeID: invokeID, into: &buffer)
        case .getNamedVariableListAttributes(let name):
            getNamedVariableListAttributes(name, invokeID: invokeID, session: session, into: &buffer)
        case .defineNamedVariableList(let name, let members):
            defineNamedVariableList(name, members: members, invokeID: invokeID, session: session, into: &buffer)
        case .deleteNamedVariableList(let request):
            deleteNamedVariableList(request, invokeID: invokeID, session: session, into: &buffer)
        case .readJournal(let request):
            readJournal(request, invokeID: invokeID, session: session, into: &buffer)
        case .fileOpen, .fileRead, .fileClose, .fileDelete, .fileDirectory:
            fileService(request, invokeID: invokeID, session: session, into: &buffer)
        case .obtainFile(let source, let destination):
            obtainFile(source: source, destination: destination, invokeID: invokeID, session: session, into: &buffer)
        case .unsupported:
            MMSResponseEncoder.writeReject(invokeID: invokeID, reason: .confirmedRequest(.unrecognizedService), into: &buffer)
        }
    }
}

/// Per-association facts and state the services need; used on the association's event loop only.
package struct SessionContext {
    package let connection: ClientConnection
    /// What the association may do, decided when it was accepted.
    package var access: AccessPolicy = .unrestricted
    /// The negotiated maximum MMS PDU size.
    package let maximumPDUSize: Int
    /// The association-specific data sets (`@name`).
    package let dataSets: AssociationDataSets
    /// The files it has open (file services).
    package let files: AssociationFiles
    /// The file it is sending the server (ObtainFile), if any.
    package let obtain = ObtainFileSession()
    /// Runs `body` on the association's event loop after `delay`; returns what cancels it.
    package var schedule: (TimeAmount, @escaping () -> Void) -> () -> Void = { _, _ in {} }
    /// Sends an unsolicited MMS PDU to this association (LastApplError, CommandTermination, a deferred
    /// response), in order, from any thread; on the event loop it goes out before the current answer.
    package var send: @Sendable (ByteBuffer) -> Void = { _ in }
    /// Like `send`, but on the event loop it waits until the answer being written has gone out.
    package var sendAfterAnswer: @Sendable (ByteBuffer) -> Void = { _ in }
    /// Sends the answer of a request whose response was deferred (the backend wrote nothing for it), from
    /// any thread: it counts against the association's outstanding requests until it is sent.
    package var answerLater: @Sendable (ByteBuffer) -> Void = { _ in }

    /// The association as report control blocks know it (id and peer IP address, the Owner attribute).
    package var reportClient: ReportControlBlock.Client {
        ReportControlBlock.Client(id: connection.id, address: connection.peerAddressBytes)
    }

    package init(
        connection: ClientConnection, access: AccessPolicy = .unrestricted, maximumPDUSize: Int, dataSets: AssociationDataSets,
        files: AssociationFiles = AssociationFiles(maximum: 0)
    ) {
        self.connection = connection
        self.access = access
        self.maximumPDUSize = maximumPDUSize
        self.dataSets = dataSets
        self.files = files
    }
}
