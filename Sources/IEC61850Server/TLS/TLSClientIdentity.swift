import NIOSSL

/// The client certificate of one TLS connection of another listener of the application (the gateway's
/// HTTPS), as the server's own check found it: trusted CA, validity, CRLs and allow-list, the same as for
/// an MMS association. See ``IedServer/makeTLSHandler(for:)``.
public final class TLSClientIdentity: Sendable {
    let peer = TLSPeer()

    public init() {}

    /// The certificate the client proved it holds, once the handshake admitted it; nil when it
    /// presented none (or before the handshake).
    public var certificate: PeerCertificate? { peer.certificate }
}

extension IedServer {
    /// A TLS handler with the server's certificate, key and client-certificate check, as last reloaded
    /// (so the application's other listener follows certificate rotation and revocation as MMS does);
    /// nil while the server runs no TLS listener. A client certificate is then required when the TLS
    /// settings require one.
    public func makeTLSHandler(for identity: TLSClientIdentity) -> NIOSSLServerHandler? {
        running.withLock { $0?.tlsStore }?.makeHandler(peer: identity.peer)
    }
}
