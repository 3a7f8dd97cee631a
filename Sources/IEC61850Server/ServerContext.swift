import IEC61850Model
import IEC61850Services
import Logging
import MMSMapping
import NIOCore
import Synchronization

/// What every association of a server shares: the MMS mapping (and through it the services), the
/// configuration, the password lock-out per address, and the audit trail's summary of refusals.
final class ServerContext: Sendable {
    let backend: MMSServiceBackend
    let configuration: IedServerConfiguration
    /// Failed password attempts per peer address.
    let throttle: Mutex<AuthenticationThrottle>
    /// The open associations, by connection id (for ``IedServer/associations``).
    let associations = Mutex<[UInt64: AssociationStatus]>([:])
    let metrics = ServerMetrics()

    init(backend: MMSServiceBackend, configuration: IedServerConfiguration) {
        self.backend = backend
        self.configuration = configuration
        throttle = Mutex(AuthenticationThrottle(policy: configuration.authenticationLockout))
    }

    /// The context of a server of `model` (its MMS mapping and services made here).
    /// - Parameter clock: the services' time (a test's or fuzzing clock; the system's by default).
    convenience init(model: IedModel, configuration: IedServerConfiguration, logger: Logger, clock: (@Sendable () -> ReportTime)? = nil) {
        self.init(
            backend: MMSServiceBackend(
                model: model, settings: configuration.mmsSettings, serviceSettings: configuration.serviceSettings, logger: logger, clock: clock),
            configuration: configuration)
    }

    /// Records a refused connection or association, summarising floods of the same kind.
    func notifyRefusal(_ connection: ClientConnection, reason: String) {
        let now = NIODeadline.now().uptimeNanoseconds
        guard let recorded = backend.refusals.withLock({ $0.admit(reason, now: now) }) else { return }
        backend.events.notify(.refused(connection, reason: recorded))
    }

    /// Records a refused TLS handshake, summarising repeats of one kind as ``notifyRefusal(_:reason:)`` does.
    func notifyTLSFailure(_ connection: ClientConnection, _ refusal: TLSRefusal, subject: String?) {
        let now = NIODeadline.now().uptimeNanoseconds
        guard let recorded = backend.refusals.withLock({ $0.admit("TLS: \(refusal.kind)", now: now) }) else { return }
        let summary = recorded.dropFirst("TLS: \(refusal.kind)".count)  // "" or " (and N more like it…)"
        backend.events.notify(.tlsHandshakeFailed(connection, reason: "\(refusal)\(summary)", subject: subject))
    }
}

extension IedServerConfiguration {
    /// What the MMS mapping takes of this configuration.
    var mmsSettings: MMSSettings {
        var settings = MMSSettings(
            vendor: identity.vendor, model: identity.model, revision: identity.revision, maximumMMSPDUSize: maximumMMSPDUSize,
            maximumServicesOutstanding: maximumServicesOutstanding, dataStructureNestingLevel: dataStructureNestingLevel, dataSetLimits: dataSetLimits,
            writableFunctionalConstraints: writableFunctionalConstraints)
        settings.files = files
        settings.fileSources = fileSources
        return settings
    }
}
