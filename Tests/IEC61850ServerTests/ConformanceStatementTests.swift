import Foundation
import IEC61850Model
import TestSupport
import Testing

@testable import IEC61850Server

/// The conformance statements follow the server they describe: its configuration, model and services.
@Suite("Conformance statements")
struct ConformanceStatementTests {
    static func supported(_ statement: ConformanceStatement, _ name: String) -> Bool? {
        statement.services.first { $0.name == name }?.supported
    }

    static func setting(_ statement: ConformanceStatement, _ name: String) -> String? {
        statement.settings.first { $0.name == name }?.value
    }

    @Test("the file services appear when configured, FileDelete only when allowed")
    func fileServices() throws {
        let model = InMemoryAssociation.walkThroughModel()
        let off = IedServer(model: model).conformance
        #expect(Self.supported(off, "GetFile") == false && Self.supported(off, "GetFileAttributeValues") == false)
        #expect(Self.setting(off, "File services") == "off")
        var configuration = IedServerConfiguration()
        configuration.files = FileServiceSettings(root: nil)
        let readOnly = IedServer(model: model, configuration: configuration).conformance
        #expect(Self.supported(readOnly, "GetFile") == true && Self.supported(readOnly, "GetServerDirectory (FILE)") == true)
        #expect(Self.supported(readOnly, "DeleteFile") == false)
        configuration.files?.allowsDelete = true
        #expect(Self.supported(IedServer(model: model, configuration: configuration).conformance, "DeleteFile") == false, "no folder to delete in")
        configuration.files?.root = NSTemporaryDirectory()
        #expect(Self.supported(IedServer(model: model, configuration: configuration).conformance, "DeleteFile") == true)
        #expect(Self.supported(readOnly, "SetFile") == false)
    }

    @Test("the PIXIT carries the configured limits and identity")
    func limits() {
        var configuration = IedServerConfiguration()
        configuration.maximumAssociations = 3
        configuration.maximumMMSPDUSize = 8_000
        configuration.identity = .init(vendor: "ACME", model: "GW-1", revision: "7")
        let statement = IedServer(model: InMemoryAssociation.walkThroughModel(), configuration: configuration).conformance
        #expect(Self.setting(statement, "Maximum associations") == "3")
        #expect(Self.setting(statement, "Maximum MMS PDU size (negotiated down to the client's)")?.hasPrefix("8000 octets") == true)
        #expect(Self.setting(statement, "Vendor, model, revision (Identify)") == "ACME, GW-1, 7")
        #expect(statement.identity.vendor == "ACME")
    }

    @Test("report, log and control services follow the model's control blocks and control models")
    func modelDriven() throws {
        let bare = IedServer(model: InMemoryAssociation.walkThroughModel()).conformance
        #expect(Self.supported(bare, "Buffered report control") == false)
        #expect(Self.supported(bare, "QueryLogByTime") == false)
        #expect(Self.supported(bare, "Select") == false && Self.supported(bare, "Operate") == false)

        let demo = try SCLLoader().load(file: Fixtures.demoSCL)
        let full = IedServer(model: demo).conformance
        #expect(Self.supported(full, "Buffered report control") == true && Self.supported(full, "GetURCBValues") == true)
        #expect(Self.supported(full, "QueryLogByTime") == true && Self.supported(full, "QueryLogAfter") == true)
        #expect(Self.supported(full, "SelectWithValue") == true && Self.supported(full, "CommandTermination") == true)
        #expect(Self.setting(full, "Control models in use")?.contains("sbo-with-enhanced-security (4)") == true)
        #expect(Self.supported(full, "SelectActiveSG") == false, "setting groups are not served")
    }

    /// A server of LD0 with LLN0 (Mod) and `nodes`.
    static func server(_ nodes: [LogicalNodeSpec]) -> IedServer {
        var builder = IedModelBuilder(iedName: "X")
        builder.addLogicalDevice(
            LogicalDeviceSpec(inst: "LD0", logicalNodes: [LogicalNodeSpec(lnClass: "LLN0", dataObjects: [CDC.ens("Mod", value: 1)])] + nodes))
        return IedServer(model: builder.build())
    }

    @Test("the MICS lists the model's classes and marks what 7-4 and 7-3 do not define")
    func mics() {
        let odd = DataObjectSpec(name: "Odd", cdc: "XYZ", children: [])
        let classes = Self.server([LogicalNodeSpec(lnClass: "ZZZZ", inst: "1", dataObjects: [CDC.mv("Own"), odd])]).conformance.logicalNodeClasses
        #expect(classes.map(\.lnClass) == ["LLN0", "ZZZZ"])
        #expect(classes[0].standard && !classes[1].standard)
        #expect(classes[1].instances == ["LD0/ZZZZ1"])
        #expect(classes[1].dataObjects.map(\.standardCDC) == [false, true])  // Odd (XYZ), Own (MV)
    }

    @Test("with namespace definitions, each data object is checked against its class, numbered instances too")
    func namespaceDefinitions() throws {
        let classes = try NamespaceDefinition(file: Fixtures.path("nsd/example-ln.nsd"))
        let cdcs = try NamespaceDefinition(file: Fixtures.path("nsd/example-cdc.nsd"))
        #expect(classes.identifier == "TEST 61850-7-4" && classes.logicalNodeClasses == ["LLN0", "GGIO"])
        #expect(classes.defines("Ind12", in: "GGIO") == true && classes.defines("Mod", in: "GGIO") == true)  // numbered; inherited
        #expect(classes.defines("EEName2", in: "GGIO") == false && classes.defines("Odd", in: "GGIO") == false)
        #expect(classes.defines("PhyNam", in: "LPHD") == nil)
        let server = Self.server([
            LogicalNodeSpec(lnClass: "GGIO", inst: "1", dataObjects: [CDC.sps("Ind1"), CDC.mv("AnIn3"), CDC.sps("Odd")]),
            LogicalNodeSpec(lnClass: "LPHD", inst: "1", dataObjects: [CDC.sps("Proxy")]),
        ])
        let statement = server.conformance(namespaces: [classes, cdcs])
        #expect(statement.namespaces == ["TEST 61850-7-4", "TEST 61850-7-3"])
        let ggio = try #require(statement.logicalNodeClasses.first { $0.lnClass == "GGIO" })
        #expect(ggio.dataObjects.map(\.name) == ["AnIn3", "Ind1", "Odd"] && ggio.dataObjects.map(\.standard) == [true, true, false])
        let lphd = try #require(statement.logicalNodeClasses.first { $0.lnClass == "LPHD" })
        #expect(lphd.standard && lphd.dataObjects.map(\.standard) == [nil], "a class the files lack: 7-4 by the built-in list, its objects not checked")
        let lln0 = try #require(statement.logicalNodeClasses.first { $0.lnClass == "LLN0" })
        #expect(lln0.dataObjects.map(\.standardCDC) == [true] && lln0.dataObjects.map(\.standard) == [true])
        #expect(throws: SCLError.self) { try NamespaceDefinition(data: Data("<SCL/>".utf8), fileName: "x.nsd") }
    }
}
