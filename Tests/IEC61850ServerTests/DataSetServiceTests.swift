import BERCodec
import IEC61850Model
import MMS
import NIOCore
import TestSupport
import Testing

@testable import IEC61850Server
@testable import MMSMapping

@Suite("Data sets as named variable lists, in memory")
struct DataSetServiceTests {
    let association: InMemoryAssociation

    init() throws {
        association = try InMemoryAssociation(model: SCLLoader().load(file: Fixtures.demoSCL))
        try association.associate()
    }

    static func member(_ domain: String, _ item: String) -> VariableSpecification {
        VariableSpecification(name: .domainSpecific(domain: domain, item: item))
    }

    func define(_ invokeID: Int64, _ name: ObjectName, _ members: [VariableSpecification]) throws -> String {
        try association.exchange(
            ClientFrames.request(invokeID) { body in
                body.writeBERElement(.contextConstructed(11)) { define in
                    name.encode(into: &define)
                    VariableAccessSpecification.listOfVariable(members).encode(into: &define)
                }
            }
        ).hexDump
    }

    func delete(_ invokeID: Int64, _ names: [ObjectName]) throws -> String {
        try association.exchange(
            ClientFrames.request(invokeID) { body in
                body.writeBERElement(.contextConstructed(13)) { delete in
                    delete.writeBERInteger(.context(0), 0)
                    delete.writeBERElement(.contextConstructed(1)) { list in for name in names { name.encode(into: &list) } }
                }
            }
        ).hexDump
    }

    func attributes(_ invokeID: Int64, _ name: ObjectName) throws -> (deletable: Bool, members: [String])? {
        let response = try association.exchange(
            ClientFrames.request(invokeID) { body in body.writeBERElement(.contextConstructed(12)) { name.encode(into: &$0) } })
        var reader = BERReader(response)
        let pdu = try reader.readElement()
        guard pdu.tag == .contextConstructed(1) else { return nil }
        var fields = pdu.children
        _ = try fields.readElement(.integer)
        var body = try fields.readElement(.contextConstructed(12)).children
        let deletable = try body.readElement(.context(0)).booleanValue()
        var list = try body.readElement(.contextConstructed(1)).children
        var members: [String] = []
        while !list.isAtEnd {
            var entry = try list.readElement(.sequence).children
            var nameReader = try entry.readElement(.contextConstructed(0)).children
            var parts = try nameReader.readElement(.contextConstructed(1)).children
            members.append(try parts.readElement().stringValue + "/" + parts.readElement().stringValue)
        }
        return (deletable, members)
    }

    func readList(_ invokeID: Int64, _ name: ObjectName) throws -> ByteBuffer {
        try association.exchange(
            ClientFrames.request(invokeID) { body in
                body.writeBERElement(.contextConstructed(4)) { read in
                    read.writeBERElement(.contextConstructed(1)) { VariableAccessSpecification.variableListName(name).encode(into: &$0) }
                }
            })
    }

    let testSet = ObjectName.domainSpecific(domain: "DEMOGenericIO", item: "LLN0$TestDS")
    let members = [
        member("DEMOGenericIO", "GGIO1$MX$AnIn1$mag$f"), member("DEMOGenericIO", "GGIO1$ST$Ind2"), member("DEMOMeasurement", "MMXU1$MX$TotW$mag$f"),
    ]

    @Test("define, attributes, read by name, listed, delete")
    func lifecycle() throws {
        #expect(try define(1, testSet, members) == "A1 05 02 01 01 8B 00")
        let described = try #require(try attributes(2, testSet))
        #expect(described.deletable)
        #expect(described.members == ["DEMOGenericIO/GGIO1$MX$AnIn1$mag$f", "DEMOGenericIO/GGIO1$ST$Ind2", "DEMOMeasurement/MMXU1$MX$TotW$mag$f"])
        let values = try readList(3, testSet)
        #expect(hex(values.readableBytesView).hasPrefix("A1"))
        #expect(values.readableBytes > 30)
        let names = try association.exchange(ClientFrames.getNameList(4, objectClass: 2, domain: "DEMOGenericIO"))
        #expect(hex(names.readableBytesView).contains(hex("LLN0$TestDS".utf8)))
        // AD { 80 matched 1, 81 deleted 1 }
        #expect(try delete(5, [testSet]) == "A1 0B 02 01 05 AD 06 80 01 01 81 01 01")
        #expect(try attributes(6, testSet) == nil)
    }

    @Test("a name that exists, an LN that does not, a member that does not: refused with the MMS errors")
    func refusals() throws {
        // definition / object-exists (2/5)
        #expect(try define(1, .domainSpecific(domain: "DEMOGenericIO", item: "LLN0$Events"), members) == "A2 0A 80 01 01 A2 05 A0 03 82 01 05")
        // access / object-non-existent (7/2)
        #expect(try define(2, .domainSpecific(domain: "DEMOGenericIO", item: "NOLN0$X"), members) == "A2 0A 80 01 02 A2 05 A0 03 87 01 02")
        #expect(try define(3, testSet, [Self.member("DEMOGenericIO", "GGIO1$ST$Nope")]) == "A2 0A 80 01 03 A2 05 A0 03 87 01 02")
        // The SCL set is matched but not deleted, and still there.
        #expect(try delete(4, [.domainSpecific(domain: "DEMOGenericIO", item: "LLN0$Events")]) == "A1 0B 02 01 04 AD 06 80 01 01 81 01 00")
        #expect(try attributes(5, .domainSpecific(domain: "DEMOGenericIO", item: "LLN0$Events"))?.deletable == false)
    }

    @Test("limits: members per set and sets per logical device, refused with capability-unavailable")
    func limits() throws {
        let tooMany = Array(repeating: Self.member("DEMOGenericIO", "GGIO1$ST$Ind1$stVal"), count: 51)
        #expect(try define(1, testSet, tooMany) == "A2 0A 80 01 01 A2 05 A0 03 83 01 04")
        for index in 0..<10 {
            #expect(try define(Int64(10 + index), .domainSpecific(domain: "DEMOGenericIO", item: "LLN0$S\(index)"), members).hasSuffix("8B 00"))
        }
        #expect(try define(30, .domainSpecific(domain: "DEMOGenericIO", item: "LLN0$S10"), members) == "A2 0A 80 01 1E A2 05 A0 03 83 01 04")
        #expect(try readList(31, .domainSpecific(domain: "DEMOGenericIO", item: "LLN0$S9")).readableBytes > 30)
    }

    @Test("association-specific sets belong to their association")
    func associationSpecific() throws {
        #expect(try define(1, .aaSpecific("Mine"), members) == "A1 05 02 01 01 8B 00")
        #expect(try attributes(2, .aaSpecific("Mine"))?.members.count == 3)
        let names = try association.exchange(
            ClientFrames.request(3) { body in
                body.writeBERElement(.contextConstructed(1)) { request in
                    request.writeBERElement(.contextConstructed(0)) { $0.writeBERInteger(.context(0), 2) }
                    request.writeBERElement(.contextConstructed(1)) { $0.writeBytes([0x82, 0x00]) }
                }
            })
        #expect(hex(names.readableBytesView).contains(hex("Mine".utf8)))
        let other = try InMemoryAssociation(model: SCLLoader().load(file: Fixtures.demoSCL))
        try other.associate()
        let elsewhere = try other.exchange(
            ClientFrames.request(1) { body in body.writeBERElement(.contextConstructed(12)) { ObjectName.aaSpecific("Mine").encode(into: &$0) } })
        #expect(elsewhere.hexDump == "A2 0A 80 01 01 A2 05 A0 03 87 01 02")
    }

    @Test("a set a control block uses is not deleted: service / object-constraint-conflict with the count deleted")
    func referenced() throws {
        #expect(try define(1, testSet, members) == "A1 05 02 01 01 8B 00")
        association.backend.dataSets.references.withLock { $0 = DataSetStore.ReferenceCheck { $0 == .domain("DEMOGenericIO", item: "LLN0$TestDS") } }
        #expect(try delete(2, [testSet]) == "A2 0F 80 01 02 A2 0A A0 03 84 01 05 A3 03 86 01 00")
        #expect(try attributes(3, testSet) != nil)
    }

    @Test("the library lists data sets and reads a data set's values at one instant")
    func libraryAPI() throws {
        let server = IedServer(model: association.backend.model)
        let sets = server.dataSets()
        #expect(sets.map(\.reference) == ["DEMOGenericIO/LLN0.Commands", "DEMOGenericIO/LLN0.Events"])
        let events = try #require(sets.last)
        #expect(events.members.first == "DEMOGenericIO/GGIO1.Ind1.stVal[ST]")
        #expect(events.isDeletable == false)
        try server.update("GenericIO/GGIO1.Ind2.stVal", to: .boolean(true))
        let values = try server.dataSetValues("GenericIO/LLN0.Events")
        #expect(values.count == 8)
        #expect(values[2] == DataSetMemberValue(member: "DEMOGenericIO/GGIO1.Ind2.stVal[ST]", values: [.boolean(true)]))
        #expect(throws: ServerError.unknownReference("GenericIO/LLN0.Nope")) { try server.dataSetValues("GenericIO/LLN0.Nope") }
    }
}
