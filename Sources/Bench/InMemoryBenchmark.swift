import Foundation
import IEC61850Model
import IEC61850Server
import IEC61850TestSupport
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Our own work per read, without sockets and the kernel: the whole pipeline (framing, association,
/// MMS decode, model lookup, encode) in an in-memory channel, timed with the thread's CPU clock.
enum InMemoryBenchmark {
    static func run(model: IedModel, item: String, reads: Int) throws -> Double {
        let server = IedServer(model: model)
        let connection = try InMemoryConnection(server: server)
        for frame in LoadClient.association { connection.receive(frame) }
        let request = LoadClient.readRequest(invokeID: 1, domain: "DEMOGenericIO", item: item)
        guard connection.receive(request).count > 20 else { throw BenchError("in-memory read got no answer") }
        let start = threadCPUSeconds()
        for _ in 0..<reads { _ = connection.receive(request) }
        return (threadCPUSeconds() - start) / Double(reads) * 1e6
    }

    /// The floor of this measurement: the same in-memory channel, the same request bytes in and as many
    /// bytes out, with a handler that answers with a fixed response and does nothing else.
    static func channelFloor(model: IedModel, item: String, reads: Int) throws -> Double {
        let server = IedServer(model: model)
        let real = try InMemoryConnection(server: server)
        for frame in LoadClient.association { real.receive(frame) }
        let request = LoadClient.readRequest(invokeID: 1, domain: "DEMOGenericIO", item: item)
        let response = real.receive(request)
        let connection = try InMemoryConnection(handler: FixedResponder(response: ByteBuffer(bytes: response)))
        guard connection.receive(request).count == response.count else { throw BenchError("the fixed responder did not answer") }
        let start = threadCPUSeconds()
        for _ in 0..<reads { _ = connection.receive(request) }
        return (threadCPUSeconds() - start) / Double(reads) * 1e6
    }

    static func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// Answers every read of the channel with the same bytes: the in-memory channel's own cost.
private final class FixedResponder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let response: ByteBuffer

    init(response: ByteBuffer) { self.response = response }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(wrapOutboundOut(response), promise: nil)
    }
}
