import IEC61850Model
import IEC61850Services
import ISOTransport
import Logging
import MMSMapping
import NIOCore
import NIOPosix
import Synchronization

/// An IEC 61850 server (MMS over ISO on TCP) serving one IED model.
///
/// The counterpart of libIEC61850's `IedServer`: create it from a model, start it, feed it process values,
/// and stop it. Every association runs on one event loop thread; value updates take a short lock.
///
/// ```swift
/// let model = try SCLLoader().load(file: "demo.icd")
/// let server = IedServer(model: model)
/// try await server.start()
/// let power = model.handle(for: "Measurement/MMXU1.TotW.mag.f")!
/// try server.update(power, to: .float32(1520))
/// ```
public final class IedServer: IedServicesProviding {
    /// The model served (with the IED name it was created with).
    public let model: IedModel
    public let configuration: IedServerConfiguration
    let context: ServerContext
    /// The MMS mapping the associations share (the context's).
    package var backend: MMSServiceBackend { context.backend }
    private let logger: Logger
    let running = Mutex<Running?>(nil)
    private let associationCount = Atomic<Int>(0)
    private let nextConnectionID = Atomic<UInt64>(1)
    private let openChannels = Mutex<[ObjectIdentifier: any Channel]>([:])
    /// Open connections per peer IP address (for ``IedServerConfiguration/maximumAssociationsPerPeer``).
    private let connectionsPerPeer = Mutex<[String: Int]>([:])
    /// The reason new connections are refused now, if they are (``refuseConnections(because:)``).
    private let refusingConnections = Mutex<String?>(nil)

    struct Running: @unchecked Sendable {
        // Channel and the group are thread-safe NIO types; the struct only carries them.
        let group: MultiThreadedEventLoopGroup
        let plain: (any Channel)?
        let tls: (any Channel)?
        let tlsStore: TLSMaterialStore?
        let reloadTask: RepeatedTask?

        var listeners: [any Channel] { [plain, tls].compactMap { $0 } }
    }

    /// Creates a server for `model`. Nothing listens until ``start()``.
    public init(model: IedModel, configuration: IedServerConfiguration = IedServerConfiguration(), logger: Logger = Logger(label: "iec61850.server")) {
        self.model = model
        self.configuration = configuration
        self.logger = logger
        context = ServerContext(model: model, configuration: configuration, logger: logger)
    }

    /// A server whose reporting runs on `monotonicNanoseconds` instead of the system's clock (UTC follows
    /// it from 2023-11-14), for tests and fuzzing that drive time themselves.
    package init(model: IedModel, configuration: IedServerConfiguration = IedServerConfiguration(), monotonicNanoseconds: @escaping @Sendable () -> UInt64) {
        self.model = model
        self.configuration = configuration
        let logger = Logger(label: "iec61850.server", factory: { _ in SwiftLogNoOpLogHandler() })
        self.logger = logger
        context = ServerContext(
            model: model, configuration: configuration, logger: logger,
            clock: {
                let now = monotonicNanoseconds()
                return ReportTime(monotonicNanoseconds: now, utcMilliseconds: 1_700_000_000_000 + now / 1_000_000)
            })
    }

    /// The services this server serves over MMS: the value, control, write access and event API
    /// (``IedServicesProviding``) is theirs, and the server offers it too.
    public var services: IedServices { backend.services }

    /// Whether the server is listening.
    public var isRunning: Bool { running.withLock { $0 != nil } }

    /// The port the plain (non-TLS) listener listens on (useful with port 0), or nil when stopped or TLS only.
    public var localPort: Int? { running.withLock { $0?.plain?.localAddress?.port } }

    /// The port the TLS listener listens on, or nil when stopped or without TLS.
    public var localTLSPort: Int? { running.withLock { $0?.tls?.localAddress?.port } }

    /// The number of open transport connections (associations, and connects being refused).
    public var openAssociations: Int { associationCount.load(ordering: .relaxed) }

    /// The open associations: peer, since when, access, and the report control blocks each has enabled.
    public var associations: [AssociationStatus] {
        let enabled = backend.reporting.enabledBlocks()
        return context.associations.withLock { Array($0.values) }.sorted { $0.connection.id < $1.connection.id }.map { status in
            var status = status
            status.enabledReportControlBlocks = enabled[status.connection.id] ?? []
            return status
        }
    }

    /// Starts listening on the configured address and port, and on the TLS port when ``IedServerConfiguration/tls``
    /// is set. Throws ``ServerError/tls(_:)`` when the TLS files cannot be used.
    public func start() async throws {
        guard !isRunning else { throw ServerError.alreadyRunning }
        guard configuration.servesPlainMMS || configuration.tls != nil else { throw ServerError.noListener }
        // Entries an older version logged (MMS names and MMS Data) become model values before anyone reads them.
        backend.convertLegacyLogEntries()
        var tlsStore: TLSMaterialStore?
        if let settings = configuration.tls {
            do { tlsStore = try TLSMaterialStore(settings: settings, logger: logger) } catch { throw ServerError.tls(error) }
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        var plain: (any Channel)?
        var tls: (any Channel)?
        do {
            if configuration.servesPlainMMS { plain = try await bind(group, port: configuration.port, tls: nil) }
            if let tlsStore { tls = try await bind(group, port: tlsStore.settings.port, tls: tlsStore) }
        } catch {
            try? await plain?.close()
            try? await group.shutdownGracefully()
            throw error
        }
        let reloadTask = tlsStore.flatMap { store in
            store.settings.reloadInterval.map { interval in
                group.next().scheduleRepeatedTask(initialDelay: TimeAmount(interval), delay: TimeAmount(interval)) { _ in store.reloadIfChanged() }
            }
        }
        running.withLock { $0 = Running(group: group, plain: plain, tls: tls, tlsStore: tlsStore, reloadTask: reloadTask) }
        backend.services.attach(EventLoopTimers(loop: group.next()))
        for (channel, kind) in [(plain, "MMS"), (tls, "MMS over TLS")] {
            guard let channel else { continue }
            logger.info("listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")", "protocol": "\(kind)", "ied": "\(model.name)"])
        }
        if let warning = Self.exposureWarning(configuration, controllableObjects: backend.control.objects.count) {
            logger.warning("\(warning)")
        }
    }

    /// Reads the TLS certificates, key, CA certificates and CRLs again: new connections use them, established
    /// associations keep their sessions. On failure the previous material stays in use and the error says
    /// which file is wrong. Returns what should be fixed soon (certificates expiring within 30 days).
    /// With ``TLSSettings/reloadInterval`` set the server also does this by itself when a file changes.
    @discardableResult
    public func reloadTLS() throws -> [String] {
        guard let store = running.withLock({ $0?.tlsStore }) else { return [] }
        do { return try store.reload() } catch { throw ServerError.tls(error) }
    }

    private func bind(_ group: MultiThreadedEventLoopGroup, port: Int, tls: TLSMaterialStore?) async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { [logger] channel in
                // Out of file descriptors (EMFILE/ENFILE) the listening socket stays readable: without a
                // pause the accept loop would spin a core. Wait a second, say so, and accept again.
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(AcceptPause(logger: logger)) }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            // One read of at most 16 KB per association and loop turn, then the next association: the
            // associations share an event loop (``IedServerConfiguration/eventLoopThreads``), and a client
            // that pipelines thousands of requests must not hold the loop for the others. MMS requests are
            // small; 16 KB is a few hundred of them.
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 16384))
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.setUp(channel, tls: tls) }
            }
        do {
            return try await bootstrap.bind(host: configuration.bindAddress, port: port).get()
        } catch {
            throw ServerError.bindFailed("\(configuration.bindAddress):\(port): \(error)")
        }
    }

    /// Stops listening and closes every association.
    public func stop() async {
        guard
            let current = running.withLock({ state -> Running? in
                defer { state = nil }
                return state
            })
        else { return }
        backend.services.attach(nil)
        current.reloadTask?.cancel()
        for listener in current.listeners { try? await listener.close() }
        let channels = openChannels.withLock { Array($0.values) }
        for channel in channels { try? await channel.close() }
        try? await current.group.shutdownGracefully()
        logger.info("stopped")
    }

    /// Refuses every new connection, closed as soon as it is accepted, with `reason` in the log and the
    /// association events (nil: connections are admitted again). A hot-standby node that is configured
    /// to serve nobody while it stands by sets it. Open associations are not touched.
    public func refuseConnections(because reason: String?) {
        refusingConnections.withLock { $0 = reason }
    }

    /// Closes every open connection (associations and those being set up); the listeners stay. A node
    /// that stops being the active one of a redundant pair ends its SCADA sessions this way, so they
    /// see the association drop and reconnect to the new active.
    public func closeConnections() {
        for channel in openChannels.withLock({ Array($0.values) }) { channel.close(promise: nil) }
    }

    /// The warning due when anyone on the network may operate controls or change settings: no
    /// authentication, and an address other than loopback. nil when there is nothing to warn of.
    static func exposureWarning(_ configuration: IedServerConfiguration, controllableObjects: Int) -> String? {
        guard case .none = configuration.authenticator else { return nil }
        let address = configuration.bindAddress
        guard !(address.hasPrefix("127.") || address == "::1" || address == "localhost") else { return nil }
        var exposed: [String] = []
        if controllableObjects > 0 { exposed.append("\(controllableObjects) controllable objects") }
        if !configuration.writableFunctionalConstraints.isEmpty {
            exposed.append("settings (FC \(configuration.writableFunctionalConstraints.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        guard !exposed.isEmpty else { return nil }
        return "serving \(exposed.joined(separator: " and ")) on \(address) without authentication: anyone who reaches this address may "
            + "operate and write them. Require a password, bind to 127.0.0.1 or a plant-only interface, and firewall port \(configuration.port) "
            + "(deploy/HARDENING.md)"
    }

    /// The handler of one association of this server from `peerAddress`, for running its pipeline without
    /// a socket (IEC61850TestSupport's in-memory connection).
    package func makeAssociationHandler(peerAddress: String, logger: Logger) -> any ChannelHandler {
        AssociationHandler(shared: context, connection: ClientConnection(id: makeConnectionID(), peerAddress: peerAddress), logger: logger)
    }

    /// A number no other association of this server has had.
    package func makeConnectionID() -> UInt64 {
        nextConnectionID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    private func setUp(_ channel: any Channel, tls: TLSMaterialStore?) throws {
        let count = associationCount.wrappingAdd(1, ordering: .relaxed).newValue
        let peerHost = channel.remoteAddress?.ipAddress
        let connection = ClientConnection(
            id: makeConnectionID(), peerAddress: channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" })
        let fromPeer =
            peerHost.map { host in
                connectionsPerPeer.withLock {
                    $0[host, default: 0] += 1; return $0[host, default: 0]
                }
            } ?? 0
        let key = ObjectIdentifier(channel)
        openChannels.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            associationCount.wrappingSubtract(1, ordering: .relaxed)
            openChannels.withLock { _ = $0.removeValue(forKey: key) }
            if let peerHost {
                connectionsPerPeer.withLock { counts in
                    let left = counts[peerHost, default: 1] - 1
                    counts[peerHost] = left > 0 ? left : nil
                }
            }
        }
        // Over a limit the connection is closed at once: waiting for its first frame would let a peer that
        // never sends hold the slot (and its descriptor) for as long as it likes.
        if let reason = refusingConnections.withLock({ $0 }) {
            refuse(channel, connection, reason: reason, limit: nil)
            return
        }
        if count > configuration.maximumAssociations {
            refuse(channel, connection, reason: "association limit reached", limit: configuration.maximumAssociations)
            return
        }
        if let perPeer = configuration.maximumAssociationsPerPeer, fromPeer > perPeer {
            refuse(channel, connection, reason: "connection limit per peer address reached", limit: perPeer)
            return
        }
        let sync = channel.pipeline.syncOperations
        var peer: TLSPeer?
        if let tls {
            let tlsPeer = TLSPeer()
            try sync.addHandler(tls.makeHandler(peer: tlsPeer))
            try sync.addHandler(TLSHandshakeMonitor(peer: tlsPeer, connection: connection, shared: context, logger: logger))
            peer = tlsPeer
        }
        try sync.addHandler(AssociationHandler(shared: context, connection: connection, tlsPeer: peer, logger: logger))
    }

    private func refuse(_ channel: any Channel, _ connection: ClientConnection, reason: String, limit: Int?) {
        var metadata: Logger.Metadata = ["peer": "\(connection.peerAddress ?? "?")"]
        if let limit { metadata["limit"] = "\(limit)" }
        logger.warning("\(reason); closing the connection", metadata: metadata)
        context.notifyRefusal(connection, reason: reason)
        channel.close(promise: nil)
    }
}
