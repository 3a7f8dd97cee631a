import HummingbirdCore
import IEC61850Server
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// HTTPS with the MMS server's own TLS: its certificate and key and its client-certificate check (CAs,
/// CRLs, allow-list), as last reloaded. Each connection's ``TLSClientIdentity`` is kept by channel, so a
/// request's context can give its certificate to the access rules.
struct ServerTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let server: IedServer

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let identity = TLSClientIdentity()
        guard let handler = server.makeTLSHandler(for: identity) else {
            return channel.eventLoop.makeFailedFuture(HTTPSUnavailable())
        }
        ClientIdentities.shared.insert(identity, for: channel)
        channel.closeFuture.whenComplete { _ in ClientIdentities.shared.remove(channel) }
        return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            .flatMap { base.setup(channel: channel, logger: logger) }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }

    /// The server's TLS listener is not up (yet): the connection is closed.
    struct HTTPSUnavailable: Error {}
}

/// The TLS client identity of each open HTTPS connection, by channel.
final class ClientIdentities: Sendable {
    static let shared = ClientIdentities()
    private let identities = Mutex<[ObjectIdentifier: TLSClientIdentity]>([:])

    func insert(_ identity: TLSClientIdentity, for channel: any Channel) {
        identities.withLock { $0[ObjectIdentifier(channel)] = identity }
    }

    func remove(_ channel: any Channel) {
        _ = identities.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func identity(of channel: any Channel) -> TLSClientIdentity? { identities.withLock { $0[ObjectIdentifier(channel)] } }
}
