import Foundation
import IEC61850Model
import ISOTransport
import Logging
import NIOCore
import NIOEmbedded

/// One association of a server's pipeline run in memory, without sockets: bytes in, bytes out.
///
/// For tests and fuzzing of the whole stack (framing, association, MMS services) against a model.
@_spi(Testing)
public final class InMemoryConnection {
    private let channel = EmbeddedChannel()

    public init(server: IedServer, peerAddress: String = "127.0.0.1:5000") throws {
        try channel.pipeline.syncOperations.addHandler(
            AssociationHandler(
                backend: server.backend, connection: ClientConnection(id: server.makeConnectionID(), peerAddress: peerAddress),
                logger: Logger(label: "in-memory", factory: { _ in SwiftLogNoOpLogHandler() })))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 102)).wait()
    }

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

    deinit {
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }
}

/// The fuzz targets' bodies, shared by the libFuzzer entry points and the regression tests.
@_spi(Testing)
public enum FuzzTargets {
    /// A small model with every kind of node the services walk: structures, arrays, settings, controls.
    public static let server = makeServer()

    /// A server of that model of its own (the shared one may have blocks reserved by other inputs).
    public static func makeServer() -> IedServer {
        var builder = IedModelBuilder(iedName: "FUZZ")
        builder.addLogicalDevice(
            LogicalDeviceSpec(
                inst: "LD0",
                logicalNodes: [
                    fuzzLLN0,
                    LogicalNodeSpec(
                        lnClass: "GGIO", inst: "1",
                        dataObjects: [
                            CDC.mv("AnIn1"), CDC.sps("Ind1"), CDC.ing("IntSet"), CDC.spc("SPCSO1", ctlModel: .sboWithEnhancedSecurity), CDC.wye("PhV"),
                            DataObjectSpec(
                                name: "Arr", cdc: "ING",
                                children: [.attribute(DataAttributeSpec(name: "vals", fc: .sp, kind: .basic(.int32, initial: nil), count: 4))]),
                        ]),
                ]))
        return IedServer(model: builder.build())
    }

    /// LLN0 with a data set, report and log control blocks and a log, so inputs reach the reporting and
    /// log paths too.
    private static var fuzzLLN0: LogicalNodeSpec {
        var node = LogicalNodeSpec(lnClass: "LLN0", dataObjects: [CDC.ens("Mod"), CDC.lpl("NamPlt")])
        node.dataSets = [
            DataSetDefinition(
                name: "DS",
                members: [
                    DataSetMember(ldInst: "LD0", lnClass: "GGIO", lnInst: "1", doName: "Ind1", fc: .st),
                    DataSetMember(ldInst: "LD0", lnClass: "GGIO", lnInst: "1", doName: "AnIn1", fc: .mx),
                ])
        ]
        let triggers: UInt32 = 0b111110  // dchg, qchg, dupd, period, gi
        let options: UInt32 = 0b11_1111_1110  // every OptFlds bit
        node.reportControls = [
            ReportControlDefinition(name: "urcb", dataSet: "DS", maxInstances: 2, triggerOptions: triggers, optionalFields: options),
            ReportControlDefinition(name: "brcb", dataSet: "DS", buffered: true, triggerOptions: triggers, optionalFields: options),
        ]
        node.logs = [LogDefinition(name: "Log")]
        node.logControls = [LogControlDefinition(name: "lcb", dataSet: "DS", logName: "Log", integrityPeriod: 1000, triggerOptions: triggers)]
        return node
    }

    /// The CR and CN of the libIEC61850 client, as captured (Tests/Fixtures/vectors).
    public static let associationPrefix: [UInt8] = Array(
        ("0300001611e00000000100c0010dc2020001c1020001"
            + "030000bb02f0800db20506130100160102140200023302000134020001c19c318199a003800101a28191810400000001"
            + "820400000001a423300f0201010604520100013004060251013010020103060528ca220201300406025101615e305c02"
            + "0101a0576055a107060528ca220203a20706052901876701a30302010ca606060429018767a70302010cbe2f282d0201"
            + "03a028a826800300fde881010582010583010aa416800101810305f100820c03ee1c00000408000079ef18").hexBytes)

    /// Raw bytes as a client's whole stream; an odd first byte starts after a valid association.
    public static func framing(_ data: [UInt8]) {
        guard let first = data.first else { return }
        guard let connection = try? InMemoryConnection(server: server) else { return }
        if first & 1 == 1 { connection.receive(associationPrefix) }
        connection.receive(data.dropFirst())
    }

    /// Bytes as one MMS PDU in a data-phase frame of an established association.
    public static func mms(_ data: [UInt8]) {
        guard data.count < 60_000, let connection = try? InMemoryConnection(server: server) else { return }
        connection.receive(associationPrefix)
        var pdv: [UInt8] = [0x02, 0x01, 0x03] + berHeader(0xA0, data.count) + data
        pdv = berHeader(0x30, pdv.count) + pdv
        let tsdu: [UInt8] = [0x01, 0x00, 0x01, 0x00] + berHeader(0x61, pdv.count) + pdv
        let length = tsdu.count + 7
        connection.receive([0x03, 0x00, UInt8(length >> 8), UInt8(length & 0xFF), 0x02, 0xF0, 0x80] + tsdu)
    }

    /// Runs each file through a target (the replay mode of the fuzz executables).
    public static func replay(_ paths: some Sequence<String>, through target: ([UInt8]) -> Void) {
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            target(Array(data))
        }
    }

    private static func berHeader(_ tag: UInt8, _ length: Int) -> [UInt8] {
        if length < 0x80 { return [tag, UInt8(length)] }
        if length <= 0xFF { return [tag, 0x81, UInt8(length)] }
        return [tag, 0x82, UInt8(length >> 8), UInt8(length & 0xFF)]
    }
}

extension String {
    fileprivate var hexBytes: [UInt8] {
        var bytes: [UInt8] = []
        var index = startIndex
        while index < endIndex, let next = self.index(index, offsetBy: 2, limitedBy: endIndex) {
            bytes.append(UInt8(self[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }
}
