import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Sits behind the TLS handler until the handshake is over: a failed handshake becomes a log line and a
/// security event that say why (from the certificate check, or from what BoringSSL reported), and the
/// connection is closed. Once the handshake has completed it steps aside.
final class TLSHandshakeMonitor: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let peer: TLSPeer
    private let connection: ClientConnection
    private let shared: ServerContext
    private let logger: Logger
    private var finished = false

    init(peer: TLSPeer, connection: ClientConnection, shared: ServerContext, logger: Logger) {
        self.peer = peer
        self.connection = connection
        self.shared = shared
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event, !finished {
            finished = true
            logger.debug(
                "TLS session established",
                metadata: ["peer": "\(connection.peerAddress ?? "?")", "subject": "\(peer.certificate?.subject ?? "-")"])
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !finished else { return context.fireErrorCaught(error) }
        finished = true
        let refusal = peer.refusal ?? TLSRefusal.from(error)
        let subject = peer.presentedSubject
        var metadata: Logger.Metadata = ["peer": "\(connection.peerAddress ?? "?")", "reason": "\(refusal)"]
        if let subject { metadata["subject"] = "\(subject)" }
        logger.warning("TLS handshake refused", metadata: metadata)
        shared.notifyTLSFailure(connection, refusal, subject: subject)
        context.close(promise: nil)
    }
}
