import IEC61850Model
import Logging
import Synchronization

/// The IEC 61850 services of one IED, in model terms: the values, the data sets, reporting, logging and
/// control, the write access handlers and the events worth an audit trail. No protocol inside: the
/// server's MMS mapping turns requests into calls on these services, and their outputs (reports, log
/// entries, command results) into PDUs.
///
/// An application gets them from its server (``IedServicesProviding/services``) and feeds them process
/// values and control handlers; a field gateway depends on this module alone, never on the server's.
///
/// ```swift
/// let services = server.services
/// try services.update("GenericIO/GGIO1.AnIn1.mag.f", to: .float32(230.1))
/// try services.setControlHandler(for: "GenericIO/GGIO1.SPCSO1") { action in .success }
/// ```
public final class IedServices: Sendable {
    /// The model served.
    public let model: IedModel
    package let settings: ServiceSettings
    package let reportLayout: ReportControlLayout
    package let logLayout: LogControlLayout
    package let store: ValueStore
    package let dataSets: DataSetStore
    package let reporting: ReportingEngine
    package let control: ControlService
    /// Where the model's logs are kept (nil when it has none).
    package let logStorage: (any LogStorage)?
    /// The application's observer of associations and commands.
    package let events = ServerEventObservers()
    /// Write handlers by slot, with the handle (and so the reference) each slot was installed for.
    package let writeHandlers = Mutex<[Int: (handle: AttributeHandle, handler: WriteAccessHandler)]>([:])

    /// The services of `model`, with its control blocks laid out (`reportLayout`, `logLayout`) and the
    /// SCL's data sets resolved (`staticDataSets`, by domain and item), as the protocol mapping made them.
    ///
    /// - Parameters:
    /// - Parameter clock: the reporting engine's time (a test or fuzzing clock; the system's by default).
    package init(
        model: IedModel, settings: ServiceSettings, reportLayout: ReportControlLayout, logLayout: LogControlLayout,
        staticDataSets: [String: [String: DataSetEntry]], logger: Logger, clock: (@Sendable () -> ReportTime)? = nil
    ) {
        self.model = model
        self.settings = settings
        self.reportLayout = reportLayout
        self.logLayout = logLayout
        let dataSets = DataSetStore(initial: staticDataSets, perDomainLimit: settings.dataSetsPerLogicalDevice)
        self.dataSets = dataSets
        let store = ReportingEngine.makeStore(
            model: model, layout: reportLayout, logLayout: logLayout, dataSets: dataSets, bufferCapacity: settings.reportBufferEntries)
        self.store = store
        let logStorage: (any LogStorage)? =
            logLayout.logs.isEmpty ? nil : settings.logStorage ?? InMemoryLogStorage(maximumEntries: settings.inMemoryLogEntries)
        self.logStorage = logStorage
        let reporting = ReportingEngine(
            model: model, layout: reportLayout, logLayout: logLayout, logStorage: logStorage, store: store, dataSets: dataSets,
            limits: settings.controlBlockLimits, logger: logger, clock: clock ?? ReportingEngine.systemTime)
        self.reporting = reporting
        control = ControlService(
            model: model, store: store, reporting: reporting, timeout: settings.controlTimeout, maximumOperateDelay: settings.maximumOperateDelay,
            events: events, logger: logger, monotonicNanoseconds: { reporting.clock().monotonicNanoseconds })
    }

    /// Runs the reporting, logging and control timers on `scheduler` (nil stops them until the next attach).
    package func attach(_ scheduler: (any TimerScheduler)?) {
        reporting.attach(scheduler)
        control.attach(scheduler)
    }
}

/// What the services are configured with (from the server's configuration).
package struct ServiceSettings: Sendable {
    package var dataSetsPerLogicalDevice: Int
    package var reportBufferEntries: Int
    package var logStorage: (any LogStorage)?
    package var inMemoryLogEntries: Int
    package var controlBlockLimits: ControlBlockLimits
    package var controlTimeout: Duration
    package var maximumOperateDelay: Duration

    package init(
        dataSetsPerLogicalDevice: Int, reportBufferEntries: Int, logStorage: (any LogStorage)?, inMemoryLogEntries: Int,
        controlBlockLimits: ControlBlockLimits, controlTimeout: Duration, maximumOperateDelay: Duration
    ) {
        self.dataSetsPerLogicalDevice = dataSetsPerLogicalDevice
        self.reportBufferEntries = reportBufferEntries
        self.logStorage = logStorage
        self.inMemoryLogEntries = inMemoryLogEntries
        self.controlBlockLimits = controlBlockLimits
        self.controlTimeout = controlTimeout
        self.maximumOperateDelay = maximumOperateDelay
    }
}

/// Something that serves an IED's services: the services themselves, or a server built on them. The value,
/// control, write access and event API is the same on both (libIEC61850's `IedServer_update…` family).
public protocol IedServicesProviding: Sendable {
    /// The services served.
    var services: IedServices { get }
}

extension IedServices: IedServicesProviding {
    public var services: IedServices { self }
}
