import Foundation
import IEC61850Model
import IEC61850Server
import IEC61850Services
import ISOTransport
import Logging
import NIOCore
import NIOEmbedded

/// One association of a server's pipeline run in memory, without sockets: bytes in, bytes out.
///
/// For tests and fuzzing of the whole stack (framing, association, MMS services) against a model.
public final class InMemoryConnection {
    private let channel = EmbeddedChannel()

    public init(server: IedServer, peerAddress: String = "127.0.0.1:5000") throws {
        self.server = server
        try channel.pipeline.syncOperations.addHandler(
            server.makeAssociationHandler(peerAddress: peerAddress, logger: Logger(label: "in-memory", factory: { _ in SwiftLogNoOpLogHandler() })))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 102)).wait()
    }

    /// The same in-memory channel with another handler in the server's place: what the channel itself
    /// costs, for benchmarks.
    public init(handler: any ChannelHandler) throws {
        self.server = nil
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 102)).wait()
    }

    private let server: IedServer?

    /// Whether the server side still has the connection open.
    public var isOpen: Bool { channel.isActive }

    /// Feeds bytes from the client and returns what the server wrote back. Never throws on peer
    /// input: a decode error closes the connection, as on a socket.
    @discardableResult
    public func receive(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        guard channel.isActive else { return [] }
        do {
            try channel.writeInbound(ByteBuffer(bytes: Array(bytes)))
        } catch {
            channel.close(promise: nil)
        }
        channel.embeddedEventLoop.run()  // reports queued for this association
        var out: [UInt8] = []
        while let chunk = try? channel.readOutbound(as: ByteBuffer.self) { out += chunk.readableBytesView }
        return out
    }

    /// Moves this connection's clock on, running the timers that come due (the establishment timeout,
    /// and the server's report and control timers when ``runServerTimers()`` was called).
    public func advance(byMilliseconds milliseconds: Int64) {
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(milliseconds))
    }

    /// Runs the server's report and control timers on this connection's clock.
    public func runServerTimers() {
        server?.backend.services.attach(EventLoopTimers(loop: channel.embeddedEventLoop))
    }

    deinit {
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }
}
