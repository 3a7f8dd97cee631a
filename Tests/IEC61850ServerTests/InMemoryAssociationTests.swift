import BERCodec
import IEC61850Model
import ISOTransport
import Logging
import MMS
import NIOCore
import NIOEmbedded
import TestSupport
import Testing

@testable import IEC61850Server
@testable import MMSMapping

/// The whole server pipeline (TPKT decoder + association handler) in an embedded channel.
final class InMemoryAssociation {
    let channel = EmbeddedChannel()
    let shared: ServerContext
    var backend: MMSServiceBackend { shared.backend }

    init(
        model: IedModel = InMemoryAssociation.walkThroughModel(), configuration: IedServerConfiguration = IedServerConfiguration()
    ) throws {
        shared = ServerContext(model: model, configuration: configuration, logger: Logger(label: "test"))
        try channel.pipeline.syncOperations.addHandler(
            AssociationHandler(
                shared: shared, connection: ClientConnection(id: 1, peerAddress: "127.0.0.1:5000"), logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 102)).wait()
        precondition(channel.isActive)
    }

    /// Another association to the same server (its own channel, the same backend).
    init(sharing other: InMemoryAssociation, id: UInt64, peerAddress: String = "127.0.0.1:5001") throws {
        shared = other.shared
        try channel.pipeline.syncOperations.addHandler(
            AssociationHandler(shared: shared, connection: ClientConnection(id: id, peerAddress: peerAddress), logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 102)).wait()
    }

    /// Runs what the server queued for this association (reports) and returns the MMS PDUs it wrote.
    func drain() throws -> [ByteBuffer] {
        channel.embeddedEventLoop.run()
        return try send(ByteBuffer()).map(Self.mmsPDU(of:))
    }

    /// IED1 with LD0, LLN0.Mod.stVal = 1 (the model of PROTOCOL.md §1.6) and a GGIO with settings.
    static func walkThroughModel() -> IedModel {
        var builder = IedModelBuilder(iedName: "IED1")
        builder.addLogicalDevice(
            LogicalDeviceSpec(
                inst: "LD0",
                logicalNodes: [
                    LogicalNodeSpec(lnClass: "LLN0", dataObjects: [CDC.ens("Mod", value: 1)]),
                    LogicalNodeSpec(
                        lnClass: "GGIO", inst: "1",
                        dataObjects: [
                            CDC.mv("AnIn1", value: 1.5), CDC.sps("Ind1"), CDC.ing("IntSet", value: 7),
                            DataObjectSpec(
                                name: "Arr", cdc: "ING",
                                children: [
                                    .attribute(
                                        DataAttributeSpec(name: "vals", fc: .sp, kind: .basic(.int32, initial: nil), count: 4, elementValues: [2: .integer(42)])
                                    )
                                ]),
                        ]),
                ]))
        return builder.build()
    }

    /// Sends bytes and returns every frame the server wrote in answer (TPKT payloads).
    func send(_ bytes: ByteBuffer) throws -> [ByteBuffer] {
        try channel.writeInbound(bytes)
        var frames: [ByteBuffer] = []
        var pending = ByteBuffer()
        while var chunk = try channel.readOutbound(as: ByteBuffer.self) { pending.writeBuffer(&chunk) }
        while let frame = try TPKTFrameDecoder.readFrame(from: &pending) { frames.append(frame) }
        return frames
    }

    /// Associates as the walk-through client.
    func associate(password: String? = nil) throws {
        _ = try send(ClientFrames.connectionRequest)
        _ = try send(ClientFrames.connect(password: password))
    }

    /// Sends a data-phase frame and returns the MMS PDU of the single answer.
    func exchange(_ frame: ByteBuffer) throws -> ByteBuffer {
        let answers = try send(frame)
        guard answers.count == 1 else { throw TestFailure("expected one answer, got \(answers.count)") }
        return try Self.mmsPDU(of: answers[0])
    }

    /// The MMS PDU inside a data-phase DT frame.
    static func mmsPDU(of frame: ByteBuffer) throws -> ByteBuffer {
        guard case .data(true, let tsdu) = try COTPPDU.parse(frame) else { throw TestFailure("not a DT with EOT") }
        return try mmsPDU(tsdu: tsdu)
    }

    /// The MMS PDU inside a whole TSDU (session, presentation and the PDV).
    static func mmsPDU(tsdu: ByteBuffer) throws -> ByteBuffer {
        var tsdu = tsdu
        guard tsdu.readBytes(length: 4) == [0x01, 0x00, 0x01, 0x00] else { throw TestFailure("no GT+DT prefix") }
        var reader = BERReader(tsdu)
        var list = try reader.readElement(.applicationConstructed(1)).children
        var pdv = try list.readElement(.sequence).children
        _ = try pdv.readElement(.integer)
        return try pdv.readElement(.contextConstructed(0)).content
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite("Association walk-through (PROTOCOL.md §1.6), in memory")
struct WalkThroughTests {
    @Test("CR, CN, read, conclude and release produce the walk-through's bytes")
    func walkThrough() throws {
        let association = try InMemoryAssociation()
        let cc = try association.send(ClientFrames.connectionRequest)
        #expect(cc.map(\.hexDump) == [hex(hexBytes("11 D0 0001 0001 00 C0 01 0D C2 02 00 01 C1 02 00 01"))])

        let ac = try association.send(ClientFrames.connect())
        #expect(ac.count == 1)
        var expectedAC = hexBytes(
            """
            02 F0 80 0E 86 05 06 13 01 00 16 01 02 14 02 00 02 34 02 00 01 C1 74
            31 72 A0 03 80 01 01 A2 6B 83 04 00000001
            A5 12 30 07 80 01 00 81 02 51 01 30 07 80 01 00 81 02 51 01
            61 4F 30 4D 02 01 01 A0 48
            61 46 A1 07 06 05 28 CA 22 02 03 A2 03 02 01 00 A3 05 A1 03 02 01 00
            BE 2F 28 2D 02 01 03 A0 28
            A9 26 80 03 00 FD E8 81 01 05 82 01 05 83 01 0A A4 16 80 01 01 81 03 05 F1 00
            82 0C 03 EE 1C 00 00 00 02 00 00 40 FD 18
            """)
        // Our services-supported bits tell what this server answers; everything else is the walk-through's.
        expectedAC.replaceSubrange((expectedAC.count - 11)..., with: MMSServiceBackend.servicesSupported.bitString.bytes)
        #expect(ac.first?.hexDump == hex(expectedAC))

        let read = try association.exchange(
            ClientFrames.data(
                hexBuffer(
                    "A0 2B 02 01 01 A4 26 A1 24 A0 22 30 20 A0 1E A1 1C 1A 07 49 45 44 31 4C 44 30 1A 11 4C 4C 4E 30 24 53 54 24 4D 6F 64 24 73 74 56 61 6C")))
        #expect(read.hexDump == "A1 0A 02 01 01 A4 05 A1 03 85 01 01")

        #expect(try association.exchange(ClientFrames.data(hexBuffer("8B 00"))).hexDump == "8C 00")

        let dn = try association.send(ClientFrames.releaseRequest)
        #expect(dn.map(\.hexDump) == [hex(hexBytes("02 F0 80 0A 10 C1 0E 61 0C 30 0A 02 01 01 A0 05 63 03 80 01 00"))])
        #expect(!association.channel.isActive)
    }

    @Test("a frame split over reads, and several frames in one read, are each handled once")
    func framing() throws {
        let association = try InMemoryAssociation()
        var request = ClientFrames.connectionRequest
        let head = request.readSlice(length: 3)!
        #expect(try association.send(head).isEmpty)
        #expect(try association.send(request).count == 1)  // the CC
        _ = try association.send(ClientFrames.connect())
        var two = ClientFrames.read(1, domain: "IED1LD0", item: "LLN0$ST$Mod$stVal")
        var second = ClientFrames.read(2, domain: "IED1LD0", item: "LLN0$ST$Mod$stVal")
        two.writeBuffer(&second)
        let tail = two.readSlice(length: two.readableBytes - 5)!
        let answers = try association.send(tail)
        #expect(answers.count == 1)
        #expect(try association.send(two).count == 1)
    }

    @Test("the client's presentation context ids are echoed, not assumed")
    func contextIDs() throws {
        let association = try InMemoryAssociation()
        _ = try association.send(ClientFrames.connectionRequest)
        let ac = try association.send(ClientFrames.connect(mmsContext: 7, acseContext: 5))
        #expect(ac.first.map { hex($0.readableBytesView).contains("30 4D 02 01 05 A0 48") } == true)
        #expect(ac.first.map { hex($0.readableBytesView).contains("28 2D 02 01 07") } == true)
        let read = try association.exchange(ClientFrames.data(ClientFrames.readPDU(1, "IED1LD0", "LLN0$ST$Mod$stVal"), context: 7))
        #expect(read.hexDump == "A1 0A 02 01 01 A4 05 A1 03 85 01 01")
        // Data in a context the client did not propose for MMS is ignored, as libIEC61850 does.
        #expect(try association.send(ClientFrames.data(ClientFrames.readPDU(2, "IED1LD0", "LLN0$ST$Mod$stVal"), context: 3)).isEmpty)
    }
}
