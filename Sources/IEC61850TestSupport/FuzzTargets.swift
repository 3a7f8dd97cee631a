import Foundation
import IEC61850Model
import IEC61850Server
import IEC61850Services
import MMSMapping
import NIOCore
import Synchronization

/// The fuzz targets' bodies, shared by the libFuzzer entry points and the regression tests.
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
        var configuration = IedServerConfiguration()
        configuration.files = FileServiceSettings(root: fileFolder)
        return IedServer(model: builder.build(), configuration: configuration)
    }

    /// A folder of a few files for the file services (a file, a folder, a file of several reads).
    public static let fileFolder: String = {
        let folder = NSTemporaryDirectory() + "fuzz-files-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: folder + "/a.txt", contents: Data("station,1\n".utf8))
        FileManager.default.createFile(atPath: folder + "/sub/b.bin", contents: Data((0..<3000).map { UInt8(truncatingIfNeeded: $0) }))
        return folder
    }()

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
        connection.receive(dataFrame(data))
    }

    /// The CR and an AARQ with the password `fuzz` (ACSE password mechanism).
    public static let passwordPrefix: [UInt8] = Array(
        ("0300001611e00000000100c0010dc2020001c1020001030000b102f0800da80506130100160102140200023302000134020001c1923181"
            + "8fa003800101a28187810400000001820400000001a423300f0201010604520100013004060251013010020103060528ca2202013004"
            + "0602510161543052020101a04d604ba107060528ca2202038a0204808b03520301ac06800466757a7abe2f282d020103a028a82680"
            + "0300fde881010582010583010aa416800101810305f100820c03ee1c00000002000040fd18").hexBytes)

    /// Several associations at once to a server that requires a password, with time that the input moves
    /// on: reaches authentication (right, wrong and missing passwords, the lock-out), the establishment
    /// timeout, report timers (BufTm, IntgPd) and interleaved requests of several clients.
    ///
    /// The input is a list of operations, each one byte (the low three bits say which) and its operands:
    /// 0–2 send the next `n` bytes (`n` the next byte) to connection 0–2; 3 moves time on by 37 ms times
    /// the next byte; 4 opens another connection (at most 3 open) from the address the high bits pick;
    /// 5 associates a connection with the right password, 6 with a wrong one; 7 sends the next `n` bytes
    /// as one MMS PDU in a data frame.
    public static func sessions(_ data: [UInt8]) {
        guard data.count < 60_000 else { return }
        let clock = Atomic<UInt64>(1_000_000_000)
        var configuration = IedServerConfiguration()
        configuration.authenticator = .password("fuzz")
        configuration.associationTimeout = .seconds(2)
        configuration.authenticationLockout = AuthenticationLockout(maximumFailures: 2, lockout: .seconds(1), maximumLockout: .seconds(4))
        // Storing files too, but not across inputs: each ObtainFile's file is removed again (see `sessions`).
        configuration.files = FileServiceSettings(
            root: fileFolder, allowsWrite: true, maximumWriteSize: 4096, maximumOpenPerAssociation: 2, maximumOpenTotal: 4)
        let server = IedServer(model: makeServer().model, configuration: configuration) { clock.load(ordering: .relaxed) }
        var connections: [InMemoryConnection] = []
        func open(_ host: UInt8) {
            guard connections.count < 3, let connection = try? InMemoryConnection(server: server, peerAddress: "10.0.0.\(host & 3):\(connections.count)")
            else { return }
            if connections.isEmpty { connection.runServerTimers() }
            connections.append(connection)
        }
        open(0)
        var input = data[...]
        func next() -> UInt8 { input.popFirst() ?? 0 }
        while let operation = input.popFirst() {
            let target = connections.isEmpty ? nil : connections[Int(operation >> 3) % connections.count]
            switch operation & 0x07 {
            case 0, 1, 2:
                let count = Int(next())
                let chunk = input.prefix(count)
                input = input.dropFirst(count)
                if Int(operation & 0x07) < connections.count { connections[Int(operation & 0x07)].receive(chunk) }
            case 3:
                let milliseconds = Int64(next()) * 37
                clock.add(UInt64(milliseconds) * 1_000_000, ordering: .relaxed)
                for connection in connections { connection.advance(byMilliseconds: milliseconds) }
            case 4: open(operation >> 3)
            case 5: target?.receive(passwordPrefix)
            case 6:
                var wrong = passwordPrefix
                wrong[wrong.count - 53] ^= 0x01  // the password's first letter
                target?.receive(wrong)
            default:
                let count = Int(next())
                let pdu = Array(input.prefix(count))
                input = input.dropFirst(count)
                target?.receive(dataFrame(pdu))
            }
        }
        connections.removeAll()  // ends the associations: their partial files go
        resetFileFolder()
    }

    /// Removes what an input stored in the file folder, so inputs do not depend on each other.
    static func resetFileFolder() {
        let manager = FileManager.default
        for (folder, kept) in [(fileFolder, ["a.txt", "sub"]), (fileFolder + "/sub", ["b.bin"])] {
            for name in (try? manager.contentsOfDirectory(atPath: folder)) ?? [] where !kept.contains(name) {
                try? manager.removeItem(atPath: folder + "/" + name)
            }
        }
    }

    /// Log entry values (as a storage returned them) encoded into a ReadJournal response of the fuzz model.
    public static func journal(_ values: [LogEntry.Value]) {
        var buffer = ByteBuffer()
        JournalEncoder.writeResponse(
            [LogEntry(entryID: 1, time: Timestamp(millisecondsSinceEpoch: 1), values: values)], more: false, maximumPDUSize: 65_000,
            namespace: server.backend.namespace, into: &buffer)
    }

    /// Log values of the older form (MMS names and MMS Data) converted to model values as the server does
    /// when it starts, and those that convert encoded into a ReadJournal response.
    public static func legacyLogValues(_ values: [LegacyLogValue]) {
        journal(values.compactMap { server.backend.convert($0) })
    }

    /// One MMS PDU in presentation user data (context 3), a session data SPDU, a COTP DT and TPKT.
    static func dataFrame(_ pdu: [UInt8]) -> [UInt8] {
        var pdv: [UInt8] = [0x02, 0x01, 0x03] + berHeader(0xA0, pdu.count) + pdu
        pdv = berHeader(0x30, pdv.count) + pdv
        let tsdu: [UInt8] = [0x01, 0x00, 0x01, 0x00] + berHeader(0x61, pdv.count) + pdv
        let length = tsdu.count + 7
        return [0x03, 0x00, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length), 0x02, 0xF0, 0x80] + tsdu
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
