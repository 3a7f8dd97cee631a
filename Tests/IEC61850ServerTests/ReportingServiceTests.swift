import BERCodec
import IEC61850Model
import MMS
import NIOCore
import TestSupport
import Testing

@testable import IEC61850Server
@testable import MMSMapping

/// Report control blocks through MMS, in memory: attribute reads and writes, and the InformationReport bytes.
@Suite("Reporting over MMS, in memory")
struct ReportingServiceTests {
    let association: InMemoryAssociation
    static let domain = "DEMOGenericIO"
    static let urcb = "LLN0$RP$urcbEvents01"

    init() throws {
        association = try InMemoryAssociation(model: SCLLoader().load(file: Fixtures.demoSCL))
        try association.associate()
    }

    /// Writes one attribute; returns the write response PDU in hex.
    @discardableResult
    static func write(_ association: InMemoryAssociation, _ item: String, _ value: MMSData, id: Int64 = 1, in domain: String = domain) throws -> String {
        try association.exchange(ClientFrames.write(id, domain: domain, item: item, value: value)).hexDump
    }

    static let success = "A1 07 02 01 01 A5 02 81 00"
    static func failure(_ code: UInt8) -> String { "A1 08 02 01 01 A5 03 80 01 \(hex([code]))" }

    /// A decoded InformationReport: the access results after `RPT`.
    static func results(_ pdu: ByteBuffer) throws -> [BERElement] {
        var reader = BERReader(pdu)
        var unconfirmed = try reader.readElement(.contextConstructed(3)).children
        var report = try unconfirmed.readElement(.contextConstructed(0)).children
        #expect(try report.readElement(.contextConstructed(1)).content.hexDump == "80 03 52 50 54")
        var results = try report.readElement(.contextConstructed(0)).children
        return try results.readAll()
    }

    func update(_ reference: String, _ value: DataValue) throws {
        let handle = try #require(association.backend.model.handle(for: reference))
        association.backend.reporting.apply(CollectionOfOne((slot: handle.slot, value: value)))
    }

    @Test("the RCB reads as a structure with the SCL's settings")
    func readAttributes() throws {
        let rptID = try association.exchange(ClientFrames.read(1, domain: Self.domain, item: Self.urcb + "$RptID"))
        #expect(rptID.hexDump.hasSuffix(hex(Array("DEMOGenericIO/LLN0$RP$urcbEvents".utf8))))
        let datSet = try association.exchange(ClientFrames.read(2, domain: Self.domain, item: Self.urcb + "$DatSet"))
        #expect(datSet.hexDump.hasSuffix(hex(Array("DEMOGenericIO/LLN0$Events".utf8))))
        let whole = try association.exchange(ClientFrames.read(3, domain: Self.domain, item: Self.urcb))
        var reader = BERReader(whole)
        var response = try reader.readElement(.contextConstructed(1)).children
        _ = try response.readElement(.integer)
        var read = try response.readElement(.contextConstructed(4)).children
        var results = try read.readElement(.contextConstructed(1)).children
        var components = try results.readElement(.contextConstructed(2)).children
        let structure = try components.readAll()
        #expect(structure.count == 12)  // URCB: RptID … GI, Owner
        #expect(structure[6].content.hexDump == "32")  // BufTm 50
        let entryTime = try association.exchange(ClientFrames.read(4, domain: Self.domain, item: "LLN0$BR$brcbEvents02$TimeofEntry"))
        #expect(entryTime.hexDump.hasSuffix("8C 06 00 00 00 00 00 00"))
    }

    @Test("enable, a change is reported with RptID, OptFlds, SqNum, time, DatSet, inclusion, value and reason")
    func reportOnChange() throws {
        #expect(try Self.write(association, Self.urcb + "$BufTm", .unsigned(0)) == Self.success)
        #expect(try Self.write(association, Self.urcb + "$RptEna", .boolean(true)) == Self.success)
        try update("GenericIO/GGIO1.Ind2.stVal", .boolean(true))
        let reports = try association.drain()
        #expect(reports.count == 1)
        let fields = try Self.results(try #require(reports.first))
        #expect(fields.map(\.tag.number) == [10, 4, 6, 12, 10, 4, 3, 4])
        #expect(fields[0].stringValue == "DEMOGenericIO/LLN0$RP$urcbEvents")
        #expect(fields[1].content.hexDump == "06 78 00")  // sequence-number, report-time-stamp, reason-for-inclusion, data-set-name
        #expect(fields[2].content.hexDump == "00")
        #expect(fields[4].stringValue == "DEMOGenericIO/LLN0$Events")
        #expect(fields[5].content.hexDump == "00 20")  // inclusion: member 2 (Ind2.stVal) of 8
        #expect(fields[6].content.hexDump == "FF")
        #expect(fields[7].content.hexDump == "02 40")  // data-change
        try update("GenericIO/GGIO1.Ind2.stVal", .boolean(true))  // the same value: no dupd trigger on stVal
        #expect(try association.drain().isEmpty)
    }

    @Test("an atomic batch makes one report with every changed member; quality change has its reason")
    func batch() throws {
        try Self.write(association, Self.urcb + "$BufTm", .unsigned(0))
        try Self.write(association, Self.urcb + "$RptEna", .boolean(true))
        let stVal = try #require(association.backend.model.handle(for: "GenericIO/GGIO1.Ind1.stVal"))
        let quality = try #require(
            association.backend.model.handle(for: "GenericIO/GGIO4.Ind1.q") ?? association.backend.model.handle(for: "GenericIO/GGIO1.Ind4.q"))
        association.backend.reporting.apply([(slot: stVal.slot, value: .boolean(true)), (slot: quality.slot, value: .quality(.invalid))])
        let reports = try association.drain()
        #expect(reports.count == 1)
        let fields = try Self.results(try #require(reports.first))
        #expect(fields[5].content.hexDump == "00 81")  // members 0 and 7
        #expect(fields.suffix(2).map(\.content.hexDump) == ["02 40", "02 20"])
    }

    @Test("write rules over MMS: read-only, enabled, another association's reservation, an unknown data set")
    func writeRules() throws {
        let other = try InMemoryAssociation(sharing: association, id: 2)
        try other.associate()
        #expect(try Self.write(association, Self.urcb + "$ConfRev", .unsigned(9)) == Self.failure(3))
        #expect(try Self.write(association, Self.urcb + "$RptEna", .boolean(true)) == Self.success)
        #expect(try Self.write(association, Self.urcb + "$IntgPd", .unsigned(1000)) == Self.failure(2))
        #expect(try Self.write(other, Self.urcb + "$RptEna", .boolean(false)) == Self.failure(2))
        #expect(try Self.write(association, Self.urcb + "$RptEna", .boolean(false)) == Self.success)
        #expect(try Self.write(association, Self.urcb + "$DatSet", .visibleString("DEMOGenericIO/LLN0$Nope")) == Self.failure(11))
        #expect(try Self.write(association, Self.urcb + "$BufTm", .boolean(true)) == Self.failure(7))
        // The association ends: the block is free for the other one.
        association.channel.pipeline.fireChannelInactive()
        #expect(try Self.write(other, Self.urcb + "$RptEna", .boolean(true)) == Self.success)
        let owner = try other.exchange(ClientFrames.read(9, domain: Self.domain, item: Self.urcb + "$Owner"))
        #expect(owner.hexDump.hasSuffix("89 04 7F 00 00 01"))
    }

    @Test("a data set a block uses cannot be deleted")
    func referencedDataSet() throws {
        let define = ClientFrames.request(1) { body in
            body.writeBERElement(.contextConstructed(11)) { define in
                ObjectName.domainSpecific(domain: Self.domain, item: "LLN0$Mine").encode(into: &define)
                VariableAccessSpecification.listOfVariable([
                    VariableSpecification(name: .domainSpecific(domain: Self.domain, item: "GGIO1$ST$Ind1"))
                ]).encode(into: &define)
            }
        }
        #expect(try association.exchange(define).hexDump == "A1 05 02 01 01 8B 00")
        #expect(try Self.write(association, Self.urcb + "$DatSet", .visibleString("DEMOGenericIO/LLN0$Mine")) == Self.success)
        let confRev = try association.exchange(ClientFrames.read(2, domain: Self.domain, item: Self.urcb + "$ConfRev"))
        #expect(confRev.hexDump.hasSuffix("86 01 02"))
        let delete = ClientFrames.request(3) { body in
            body.writeBERElement(.contextConstructed(13)) { delete in
                delete.writeBERInteger(.context(0), 0)
                delete.writeBERElement(.contextConstructed(1)) { ObjectName.domainSpecific(domain: Self.domain, item: "LLN0$Mine").encode(into: &$0) }
            }
        }
        let refused = try association.exchange(delete).hexDump
        #expect(refused == "A2 0F 80 01 03 A2 0A A0 03 84 01 05 A3 03 86 01 00")  // service / object-constraint-conflict, 0 deleted
    }

    @Test("a report larger than the PDU size goes out in segments with SubSeqNum and MoreSegmentsFollow")
    func segmentation() throws {
        let small = try InMemoryAssociation(sharing: association, id: 3)
        _ = try small.send(ClientFrames.connectionRequest)
        let initiate = hexBuffer(
            "A8 26 80 03 00 00 DC 81 01 05 82 01 05 83 01 0A A4 16 80 01 01 81 03 05 F1 00 82 0C 03 EE 1C 00 00 00 02 00 00 40 FD 18")
        _ = try small.send(ClientFrames.connect(initiate: initiate))  // 220-octet PDUs
        try Self.write(small, Self.urcb + "$OptFlds", .bitString(MMSBitString(bytes: [0x7E, 0x00], bitCount: 10)))  // with data references
        try Self.write(small, Self.urcb + "$RptEna", .boolean(true))
        #expect(
            try small.exchange(
                ClientFrames.request(2) { body in
                    body.writeBERElement(.contextConstructed(5)) { write in
                        VariableAccessSpecification.listOfVariable([VariableSpecification(name: .domainSpecific(domain: Self.domain, item: Self.urcb + "$GI"))])
                            .encode(into: &write)
                        write.writeBERElement(.contextConstructed(0)) { MMSData.boolean(true).encode(into: &$0) }
                    }
                }
            ).hexDump == "A1 07 02 01 02 A5 02 81 00")
        let segments = try small.drain()
        #expect(segments.count > 1)
        var carried = 0
        for (index, segment) in segments.enumerated() {
            #expect(segment.readableBytes <= 220)
            let fields = try Self.results(segment)
            #expect(fields[1].content.hexDump == "06 7C 40")  // OptFlds with segmentation
            let subSeqNum = try fields[5].unsignedValue()
            let more = try fields[6].booleanValue()
            #expect(subSeqNum == UInt64(index))
            #expect(more == (index < segments.count - 1))
            #expect(try fields[2].unsignedValue() == 0)  // every segment has the report's SqNum
            let inclusion = Array(fields[7].content.readableBytesView.dropFirst())
            carried += inclusion.reduce(0) { $0 + $1.nonzeroBitCount }
        }
        #expect(carried == 8)
    }
}

/// Trigger options per attribute, from the model: data update reports an unchanged value, a timestamp
/// without trigger options reports nothing.
@Suite("Reporting triggers from the model, in memory")
struct ReportingTriggerTests {
    @Test("dupd reports a rewrite of the same value; an attribute without triggers reports nothing")
    func dataUpdate() throws {
        var node = LogicalNodeSpec(
            lnClass: "GGIO", inst: "1",
            dataObjects: [
                DataObjectSpec(
                    name: "Cnt", cdc: "INS",
                    children: [
                        .attribute(.basic("stVal", .int32, fc: .st, triggers: [.dataChange, .dataUpdate])),
                        .attribute(.basic("t", .timestamp, fc: .st)),
                    ])
            ])
        node.dataSets = [DataSetDefinition(name: "DS", members: [DataSetMember(ldInst: "LD0", lnClass: "GGIO", lnInst: "1", doName: "Cnt", fc: .st)])]
        var lln0 = LogicalNodeSpec(lnClass: "LLN0", dataObjects: [CDC.ens("Mod")])
        lln0.reportControls = [
            ReportControlDefinition(
                name: "rcb", dataSet: "", triggerOptions: ReportTrigger([.dataChange, .dataUpdate]).rawValue,
                optionalFields: ReportOptions.reasonCode.rawValue)
        ]
        var builder = IedModelBuilder(iedName: "T")
        builder.addLogicalDevice(LogicalDeviceSpec(inst: "LD0", logicalNodes: [lln0, node]))
        let association = try InMemoryAssociation(model: builder.build())
        try association.associate()
        let rcb = "LLN0$RP$rcb01"
        #expect(try ReportingServiceTests.write(association, rcb + "$DatSet", .visibleString("TLD0/GGIO1$DS"), in: "TLD0") == ReportingServiceTests.success)
        #expect(try ReportingServiceTests.write(association, rcb + "$RptEna", .boolean(true), in: "TLD0") == ReportingServiceTests.success)
        let stVal = try #require(association.backend.model.handle(for: "LD0/GGIO1.Cnt.stVal"))
        let time = try #require(association.backend.model.handle(for: "LD0/GGIO1.Cnt.t"))
        association.backend.reporting.apply(CollectionOfOne((slot: time.slot, value: .timestamp(Timestamp(secondsSinceEpoch: 5)))))
        #expect(try association.drain().isEmpty)
        association.backend.reporting.apply(CollectionOfOne((slot: stVal.slot, value: .integer(0))))  // unchanged: dupd
        association.backend.reporting.apply(CollectionOfOne((slot: stVal.slot, value: .integer(1))))  // changed: dchg
        let reports = try association.drain()
        #expect(reports.count == 2)
        let reasons = try reports.map { try ReportingServiceTests.results($0).last?.content.hexDump }
        #expect(reasons == ["02 10", "02 40"])
    }
}
