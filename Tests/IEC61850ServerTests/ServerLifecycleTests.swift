import Foundation
import IEC61850Model
import Logging
import MMS
import NIOCore
import NIOEmbedded
import NIOPosix
import TestSupport
import Testing

@testable import IEC61850Server
@testable import MMSMapping

/// A raw TCP client on loopback, bounded in time.
final class RawClient {
    let channel: any Channel
    let received = NIOLockedBytes()

    init(port: Int, group: any EventLoopGroup, receiveBuffer: Int = 131_072) async throws {
        let received = self.received
        channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.so_rcvbuf), value: .init(receiveBuffer))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collect(received)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    func send(_ bytes: ByteBuffer) async throws { try await channel.writeAndFlush(bytes) }

    /// A client that has associated (CR/CC, then the walk-through's AARQ and the AARE).
    static func associated(port: Int, receiveBuffer: Int = 131_072) async throws -> RawClient {
        let client = try await RawClient(port: port, group: MultiThreadedEventLoopGroup.singleton, receiveBuffer: receiveBuffer)
        try await client.send(ClientFrames.connectionRequest)
        _ = try await client.wait { $0.count >= 22 }
        try await client.send(ClientFrames.connect())
        _ = try await client.wait { $0.count > 22 + 100 }
        return client
    }

    /// Waits until `predicate` holds for the bytes received (at most 5 s).
    func wait(until predicate: @escaping ([UInt8]) -> Bool) async throws -> [UInt8] {
        for _ in 0..<500 {
            let bytes = received.value
            if predicate(bytes) { return bytes }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("timed out; received \(hex(received.value))")
    }

    /// Waits until the server closes the connection (at most 5 s).
    func waitForClose() async throws {
        for _ in 0..<500 where channel.isActive { try await Task.sleep(for: .milliseconds(10)) }
        if channel.isActive { throw TestFailure("the server did not close the connection") }
    }

    final class Collect: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes: NIOLockedBytes
        init(_ bytes: NIOLockedBytes) { self.bytes = bytes }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { bytes.append(unwrapInboundIn(data).readableBytesView) }
    }
}

/// Bytes appended from an event loop and read from the test.
final class NIOLockedBytes: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    func append(_ more: some Sequence<UInt8>) {
        lock.lock()
        bytes += more
        lock.unlock()
    }
    var value: [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        return bytes
    }
}

@Suite("Server lifecycle on loopback", .timeLimit(.minutes(1)))
struct ServerLifecycleTests {
    func startServer(
        model: IedModel = InMemoryAssociation.walkThroughModel(), _ change: (inout IedServerConfiguration) -> Void = { _ in }
    ) async throws -> IedServer {
        var configuration = IedServerConfiguration()
        configuration.bindAddress = "127.0.0.1"
        configuration.port = 0
        change(&configuration)
        let server = IedServer(model: model, configuration: configuration)
        try await server.start()
        return server
    }

    @Test("start, isRunning, read over TCP, stop closes every association")
    func lifecycle() async throws {
        let server = try await startServer()
        #expect(server.isRunning)
        let port = try #require(server.localPort)
        let client = try await RawClient(port: port, group: MultiThreadedEventLoopGroup.singleton)
        try await client.send(ClientFrames.connectionRequest)
        _ = try await client.wait { $0.count >= 22 }
        try await client.send(ClientFrames.connect())
        _ = try await client.wait { $0.count > 22 + 100 }
        #expect(server.openAssociations == 1)
        await server.stop()
        #expect(!server.isRunning)
        try await client.waitForClose()
        await #expect(throws: (any Error).self) { _ = try await RawClient(port: port, group: MultiThreadedEventLoopGroup.singleton) }
    }

    @Test("a connection over the limit is closed at once, before it sends anything; the others carry on")
    func associationLimit() async throws {
        let server = try await startServer { $0.maximumAssociations = 1 }
        defer { Task { await server.stop() } }
        let port = try #require(server.localPort)
        let first = try await RawClient(port: port, group: MultiThreadedEventLoopGroup.singleton)
        try await first.send(ClientFrames.connectionRequest)
        _ = try await first.wait { $0.count >= 22 }
        let second = try await RawClient(port: port, group: MultiThreadedEventLoopGroup.singleton)
        try await second.waitForClose()
        #expect(second.received.value.isEmpty)
        try await first.send(ClientFrames.connect())
        _ = try await first.wait { $0.count > 22 + 100 }
        #expect(first.channel.isActive)
        await server.stop()
    }

    @Test("connections that never send are closed after the establishment timeout, and their slots serve the next client")
    func idleConnectionsTimeOut() async throws {
        let server = try await startServer {
            $0.maximumAssociations = 3
            // The next client must associate within it on a busy machine too (800 ms failed once in a full
            // parallel run on the 2-core VM).
            $0.associationTimeout = .milliseconds(1_500)
        }
        defer { Task { await server.stop() } }
        let port = try #require(server.localPort)
        var idle: [RawClient] = []
        for _ in 0..<3 { idle.append(try await RawClient(port: port, group: MultiThreadedEventLoopGroup.singleton)) }
        for client in idle { try await client.waitForClose() }
        // The client sees the close before the server has counted the slot free: wait for the count.
        for _ in 0..<200 where server.openAssociations > 0 { try await Task.sleep(for: .milliseconds(10)) }
        let client = try await RawClient.associated(port: port)
        try await Task.sleep(for: .milliseconds(1_700))  // past the timeout: an association is not touched by it
        #expect(client.channel.isActive)
        await server.stop()
    }

    @Test("a peer address over its own connection limit is closed at once; its first connections carry on")
    func perPeerLimit() async throws {
        let server = try await startServer {
            $0.maximumAssociations = 10
            $0.maximumAssociationsPerPeer = 2
        }
        defer { Task { await server.stop() } }
        let port = try #require(server.localPort)
        let first = try await RawClient.associated(port: port)
        let second = try await RawClient.associated(port: port)
        let third = try await RawClient(port: port, group: MultiThreadedEventLoopGroup.singleton)
        try await third.waitForClose()
        #expect(first.channel.isActive && second.channel.isActive)
        try await second.channel.close()
        // Its slot is free again once it closed.
        for _ in 0..<100 where server.openAssociations > 1 { try await Task.sleep(for: .milliseconds(10)) }
        let fourth = try await RawClient.associated(port: port)
        #expect(fourth.channel.isActive)
        await server.stop()
    }

    @Test("a client that stops reading its reports is disconnected; another association carries on")
    func stalledReportReader() async throws {
        let server = try await startServer(model: try SCLLoader().load(file: Fixtures.demoSCL)) { $0.maximumQueuedReportBytes = 32_768 }
        defer { Task { await server.stop() } }
        let port = try #require(server.localPort)
        let stalled = try await RawClient.associated(port: port, receiveBuffer: 4096)
        for (index, (item, value)) in [("BufTm", MMSData.unsigned(0)), ("RptEna", .boolean(true))].enumerated() {
            let before = stalled.received.value.count
            try await stalled.send(ClientFrames.write(Int64(index + 1), domain: "DEMOGenericIO", item: "LLN0$RP$urcbEvents01$" + item, value: value))
            _ = try await stalled.wait { $0.count > before }
        }
        try await stalled.channel.setOption(.autoRead, value: false)
        let healthy = try await RawClient.associated(port: port)
        let indication = try server.handle(for: "GenericIO/GGIO1.Ind1.stVal")
        var updates = 0
        while server.openAssociations > 1 && updates < 2_000_000 {
            try server.update(indication, bool: updates % 2 == 0)
            updates += 1
            if updates % 1000 == 0 { try await Task.sleep(for: .milliseconds(1)) }
        }
        #expect(server.openAssociations == 1, "the stalled association is still open after \(updates) updates")
        let before = healthy.received.value.count
        try await healthy.send(ClientFrames.read(1, domain: "DEMOGenericIO", item: "GGIO1$ST$Ind1$stVal"))
        _ = try await healthy.wait { $0.count > before }
    }

    @Test("values updated through the API are what a client reads; a batch is atomic")
    func updates() async throws {
        let server = try await startServer()
        let magnitude = try server.handle(for: "LD0/GGIO1.AnIn1.mag.f")
        try server.update(magnitude, to: .float32(230.5))
        #expect(server.value(of: magnitude) == .float32(230.5))
        #expect(throws: ServerError.typeMismatch(reference: "LD0/GGIO1.AnIn1.mag.f", expected: "float32")) { try server.update(magnitude, to: .boolean(true)) }
        #expect(throws: ServerError.unknownReference("LD0/GGIO1.Nope.stVal")) { try server.handle(for: "LD0/GGIO1.Nope.stVal") }
        #expect(throws: ServerError.notABasicAttribute("LD0/GGIO1.AnIn1")) { try server.handle(for: "LD0/GGIO1.AnIn1") }
        let quality = try server.handle(for: "LD0/GGIO1.AnIn1.q")
        #expect(throws: ServerError.self) {
            try server.batch { batch in
                try batch.set(magnitude, .float32(1))
                try batch.set(quality, .float32(2))  // wrong type: nothing of the batch applies
            }
        }
        #expect(server.value(of: magnitude) == .float32(230.5))
        try server.batch { batch in
            try batch.set(magnitude, .float32(1))
            try batch.set(quality, .quality(.invalid))
        }
        #expect(server.value(of: magnitude) == .float32(1))
        #expect(server.value(of: quality) == .quality(.invalid))
        await server.stop()
    }

    @Test("a port in use gives bindFailed")
    func portInUse() async throws {
        let server = try await startServer()
        let port = try #require(server.localPort)
        let second = IedServer(
            model: InMemoryAssociation.walkThroughModel(),
            configuration: {
                var c = IedServerConfiguration(); c.bindAddress = "127.0.0.1"; c.port = port; return c
            }())
        await #expect(throws: ServerError.self) { try await second.start() }
        #expect(!second.isRunning)
        await server.stop()
    }
}

/// A closed association frees its handler: nothing it registered (report sink, senders) keeps it alive.
@Suite("Association memory")
struct AssociationMemoryTests {
    @Test("after close, the association handler is deallocated")
    func handlerFreed() throws {
        let shared = ServerContext(model: try SCLLoader().load(file: Fixtures.demoSCL), configuration: IedServerConfiguration(), logger: Logger(label: "test"))
        weak var released: AssociationHandler?
        do {
            let channel = EmbeddedChannel()
            let handler = AssociationHandler(
                shared: shared, connection: ClientConnection(id: 7, peerAddress: "127.0.0.1:5000"), logger: Logger(label: "test"))
            released = handler
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 102)).wait()
            try channel.writeInbound(ClientFrames.connectionRequest)
            try channel.writeInbound(ClientFrames.connect())
            _ = try channel.finish(acceptAlreadyClosed: true)
        }
        #expect(released == nil)
    }
}
