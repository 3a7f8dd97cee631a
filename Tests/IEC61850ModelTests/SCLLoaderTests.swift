import Foundation
import IEC61850Model
import TestSupport
import Testing

@Suite("SCL loading")
struct SCLLoaderTests {
    let model: IedModel

    init() throws {
        model = try SCLLoader().load(file: Fixtures.demoSCL)
    }

    @Test("the demo ICD gives its IED, LDs and LNs")
    func structure() {
        #expect(model.name == "DEMO")
        #expect(model.logicalDevices.map { $0.name(iedName: model.name) } == ["DEMOGenericIO", "DEMOMeasurement"])
        let generic = model.logicalDevices[0]
        #expect(generic.logicalNodes.map(\.name) == ["LLN0", "LPHD1", "GGIO1", "GGIO2", "GGIO3"])
        #expect(model.logicalDevices[1].logicalNodes.map(\.name).contains("MMXU1"))
    }

    @Test(
        "initial values come from the templates and the instances",
        arguments: [
            ("GenericIO/GGIO2.AllTypes.boolSt", DataValue.boolean(true)), ("GenericIO/GGIO2.AllTypes.int8St", .integer(-100)),
            ("GenericIO/GGIO2.AllTypes.dbposSt", .integer(2)), ("GenericIO/GGIO2.AllTypes.enumSt", .integer(2)),
            ("GenericIO/GGIO2.AllTypes.q", .quality(Quality(rawValue: 0b1000_1000_0011))),
            ("GenericIO/GGIO2.AllTypes.f64Mx", .float64(2.718281828459045)), ("GenericIO/GGIO2.AllTypes.int64Mx", .integer(-9_000_000_000_000_000_000)),
            ("GenericIO/GGIO2.AllTypes.int32uSp", .unsigned(4_000_000_000)), ("GenericIO/GGIO2.AllTypes.tcmdSp", .integer(2)),
            ("GenericIO/GGIO2.AllTypes.chkCf", .bits(1)), ("GenericIO/GGIO2.AllTypes.octCf", .octets([0x01, 0x02, 0xA0, 0xFF])),
            ("GenericIO/GGIO2.AllTypes.dU", .string("Grüße Ωmega ±5 °C")), ("GenericIO/GGIO2.AllTypes.curEx", .string("EUR")),
            ("GenericIO/GGIO2.AllTypes.t", .timestamp(Timestamp(millisecondsSinceEpoch: 1_715_934_600_500))),
            ("GenericIO/GGIO2.AllTypes.entTmCf", .entryTime(millisecondsSinceEpoch: 1_715_934_600_250)),
            ("GenericIO/GGIO1.SPCSO4.ctlModel", .integer(4)), ("GenericIO/GGIO2.SetAn1.setMag.f", .float32(12.5)),
        ])
    func values(reference: String, expected: DataValue) throws {
        let handle = try #require(model.handle(for: reference))
        #expect(model.initialValues[handle.slot] == expected)
    }

    @Test("data sets, report, log and setting controls are parsed into the model")
    func definitions() throws {
        let lln0 = try #require(model.logicalDevices[0].logicalNode(named: "LLN0"))
        let events = try #require(lln0.dataSets.first { $0.name == "Events" })
        #expect(events.members.first == DataSetMember(ldInst: "GenericIO", lnClass: "GGIO", lnInst: "1", doName: "Ind1", daName: "stVal", fc: .st))
        #expect(lln0.reportControls.map(\.name) == ["urcbEvents", "brcbEvents"])
        #expect(lln0.reportControls[1].buffered)
        #expect(lln0.reportControls[0].triggerOptions & 0b10_0110 == 0b10_0110)  // dchg, qchg, gi
        #expect(lln0.logControls.first?.logName == "EventLog")
        #expect(lln0.logs == [LogDefinition(name: "EventLog")])
        #expect(lln0.settingControl == SettingControlDefinition(numberOfSettingGroups: 2, activeSettingGroup: 1))
    }

    @Test("a file of more than 10 MB loads, and errors after the first 10 MB name their line")
    func largeFile() throws {
        // libxml2 refuses a document of more than 10 MB given to it at once; substation SCD files are often
        // larger. 150,000 lines of padding after the root element's line make about 12 MB.
        let padding = String(repeating: "  <!-- the configuration of another IED of the substation, as its SCD holds it -->\n", count: 150_000)
        func document(lnType: String) -> String {
            SCLErrorTests.document(ln0Content: "").replacingOccurrences(of: "lnType=\"LLN0T\">", with: "lnType=\"\(lnType)\">")
                .replacingOccurrences(of: "2003/SCL\">\n", with: "2003/SCL\">\n" + padding)
        }
        let text = document(lnType: "LLN0T")
        #expect(text.utf8.count > 10_500_000)
        let large = try SCLLoader().load(data: Data(text.utf8), fileName: "station.scd")
        #expect(large.handle(for: "LD/LLN0.Mod.stVal") != nil)
        do {
            _ = try SCLLoader().load(data: Data(document(lnType: "NOPE").utf8), fileName: "station.scd")
            Issue.record("an undefined lnType after 10 MB was accepted")
        } catch {
            #expect(error.kind == .unresolvedReference && error.line == 150_003)
        }
    }

    @Test("an IED name that is not in a file of one IED can serve that IED under it")
    func renamesOnlyIED() throws {
        let renamed = try SCLLoader(iedName: "PLANT7", renamesOnlyIED: true).load(file: Fixtures.demoSCL)
        #expect(renamed.name == "PLANT7" && renamed.handle(for: "PLANT7GenericIO/GGIO1.AnIn1.mag.f") != nil)
        #expect(try SCLLoader(iedName: "DEMO", renamesOnlyIED: true).load(file: Fixtures.demoSCL).name == "DEMO")
        #expect(throws: SCLError.self) { try SCLLoader(iedName: "PLANT7").load(file: Fixtures.demoSCL) }
    }

    @Test("the IED name can be overridden at load")
    func rename() throws {
        let renamed = try SCLLoader(renameTo: "PLANT7").load(file: Fixtures.demoSCL)
        #expect(renamed.logicalDevices.map { $0.name(iedName: renamed.name) } == ["PLANT7GenericIO", "PLANT7Measurement"])
        #expect(renamed.handle(for: "PLANT7GenericIO/GGIO1.AnIn1.mag.f") != nil)
    }
}

@Suite("SCL errors name the file, the line and the element")
struct SCLErrorTests {
    func load(_ text: String) throws(SCLError) -> IedModel {
        try SCLLoader().load(data: Data(text.utf8), fileName: "bad.icd")
    }

    /// A one-LD document whose LN0 (line 3) has `content` (starting on line 4) and the templates below.
    static func document(ln0Content content: String) -> String {
        """
        <SCL xmlns="http://www.iec.ch/61850/2003/SCL">
          <IED name="X"><AccessPoint name="AP"><Server><LDevice inst="LD">
            <LN0 lnClass="LLN0" inst="" lnType="LLN0T">
        \(content)
            </LN0>
          </LDevice></Server></AccessPoint></IED>
        \(templates)
        </SCL>
        """
    }

    static let templates = """
        <DataTypeTemplates>
          <LNodeType id="LLN0T" lnClass="LLN0"><DO name="Mod" type="ENCT"/></LNodeType>
          <DOType id="ENCT" cdc="ENC"><DA name="stVal" bType="INT32" fc="ST"/></DOType>
        </DataTypeTemplates>
        """

    @Test("two logical nodes of one name in a logical device")
    func duplicateLogicalNode() {
        let text = """
            <SCL xmlns="http://www.iec.ch/61850/2003/SCL">
              <IED name="X"><AccessPoint name="AP"><Server><LDevice inst="LD">
                <LN0 lnClass="LLN0" inst="" lnType="LLN0T"/>
                <LN lnClass="LLN0" inst="" lnType="LLN0T"/>
              </LDevice></Server></AccessPoint></IED>
            \(Self.templates)
            </SCL>
            """
        #expect(throws: SCLError(.invalidValue, file: "bad.icd", line: 4, element: "LN", message: "a second logical node named 'LLN0' in LDevice 'LD'")) {
            try load(text)
        }
    }

    @Test("an unknown lnType")
    func unknownType() {
        let text = """
            <SCL xmlns="http://www.iec.ch/61850/2003/SCL">
              <IED name="X"><AccessPoint name="AP"><Server><LDevice inst="LD">
                <LN0 lnClass="LLN0" inst="" lnType="NOPE"/>
              </LDevice></Server></AccessPoint></IED>
            \(Self.templates)
            </SCL>
            """
        #expect(throws: SCLError(.unresolvedReference, file: "bad.icd", line: 3, element: "LN0", message: "lnType 'NOPE' is not defined in DataTypeTemplates"))
        {
            try load(text)
        }
    }

    @Test("a value that does not fit its type")
    func badValue() {
        let text = Self.document(
            ln0Content: """
                  <DOI name="Mod">
                    <DAI name="stVal"><Val>eleven</Val></DAI>
                  </DOI>
                """)
        do {
            _ = try load(text)
            Issue.record("loaded")
        } catch {
            #expect(error.kind == .invalidValue)
            #expect(error.line == 5)
            #expect(error.element == "Val")
            #expect(error.description.hasPrefix("bad.icd:5: <Val>: SCL-405"))
        }
    }

    @Test("a data set member that does not exist")
    func badDataSetMember() {
        let text = Self.document(
            ln0Content: """
                  <DataSet name="DS">
                    <FCDA ldInst="LD" lnClass="LLN0" doName="Mod" daName="stVal" fc="MX"/>
                  </DataSet>
                """)
        do {
            _ = try load(text)
            Issue.record("loaded")
        } catch {
            #expect(error.kind == .unresolvedReference)
            #expect(error.line == 5)
            #expect(error.element == "FCDA")
            #expect(error.message.contains("LD/LLN0.Mod.stVal"))
        }
    }

    @Test("XML that is not well-formed")
    func malformed() {
        do {
            _ = try load("<SCL>\n<IED name=\"X\">\n</SCL>")
            Issue.record("loaded")
        } catch {
            #expect(error.kind == .malformedXML)
            #expect(error.line >= 2)
        }
    }

    @Test("an IED name that is not in the file")
    func unknownIED() {
        do {
            _ = try SCLLoader(iedName: "Y").load(data: Data("<SCL><IED name=\"X\"/></SCL>".utf8), fileName: "bad.icd")
            Issue.record("loaded")
        } catch {
            #expect(error.kind == .unresolvedReference)
            #expect(error.message.contains("'Y'"))
        }
    }

    @Test("a file that does not exist")
    func missingFile() {
        #expect(throws: SCLError.self) { try SCLLoader().load(file: "/nonexistent/model.icd") }
    }
}

@Suite("Model builder")
struct ModelBuilderTests {
    @Test("CDC helpers build references that resolve to typed handles")
    func builder() throws {
        var builder = IedModelBuilder(iedName: "simpleIO")
        builder.addLogicalDevice(
            LogicalDeviceSpec(
                inst: "GenericIO",
                logicalNodes: [
                    LogicalNodeSpec(lnClass: "LLN0", dataObjects: [CDC.ens("Mod"), CDC.lpl("NamPlt", vendor: "us")]),
                    LogicalNodeSpec(
                        lnClass: "GGIO", inst: "1",
                        dataObjects: [CDC.mv("AnIn1", value: 1.5), CDC.spc("SPCSO1", ctlModel: .sboWithEnhancedSecurity), CDC.wye("PhV")]),
                ]))
        let model = builder.build()
        let magnitude = try #require(model.handle(for: "simpleIOGenericIO/GGIO1.AnIn1.mag.f"))
        #expect(magnitude.type == .float32)
        #expect(magnitude.fc == .mx)
        #expect(model.initialValues[magnitude.slot] == .float32(1.5))
        #expect(model.handle(for: "GenericIO/GGIO1.PhV.phsB.cVal.mag.f")?.fc == .mx)
        #expect(model.handle(for: "GenericIO/GGIO1.SPCSO1.SBOw.ctlVal")?.fc == .co)
        #expect(model.initialValues[try #require(model.handle(for: "GenericIO/GGIO1.SPCSO1.ctlModel")).slot] == .integer(4))
        #expect(model.handle(for: "GenericIO/GGIO1.AnIn1") == nil)  // a data object, not a basic attribute
        #expect(model.handle(for: "GenericIO/GGIO9.AnIn1.mag.f") == nil)
        #expect(model.slotTypes.count == model.initialValues.count)
    }
}

@Suite("SCL instance values: array elements and setting groups")
struct SCLInstanceValueTests {
    static let text = """
        <SCL xmlns="http://www.iec.ch/61850/2003/SCL">
          <IED name="X"><AccessPoint name="AP"><Server><LDevice inst="LD">
            <LN0 lnClass="LLN0" inst="" lnType="LLN0T">
              <DOI name="Crv">
                <SDI name="pts" ix="2"><DAI name="xVal"><Val>5</Val></DAI></SDI>
                <DAI name="vals" ix="1"><Val>7</Val></DAI>
                <DAI name="setVal"><Val sGroup="1">10</Val><Val sGroup="2">20</Val></DAI>
              </DOI>
              <DOI name="Phs"><SDI name="ph" ix="1"><DAI name="stVal"><Val>true</Val></DAI></SDI></DOI>
              <SettingControl numOfSGs="2" actSG="2"/>
            </LN0>
          </LDevice></Server></AccessPoint></IED>
          <DataTypeTemplates>
            <LNodeType id="LLN0T" lnClass="LLN0"><DO name="Crv" type="CRV"/><DO name="Phs" type="PHS"/></LNodeType>
            <DOType id="CRV" cdc="CSG">
              <DA name="pts" bType="Struct" type="PT" fc="SP" count="4"/>
              <DA name="vals" bType="INT32" fc="SP" count="3"/>
              <DA name="setVal" bType="INT32" fc="SG"/>
            </DOType>
            <DOType id="PHS" cdc="X"><SDO name="ph" type="SPS1" count="3"/></DOType>
            <DOType id="SPS1" cdc="SPS"><DA name="stVal" bType="BOOLEAN" fc="ST"/></DOType>
            <DAType id="PT"><BDA name="xVal" bType="FLOAT32"/><BDA name="yVal" bType="FLOAT32"/></DAType>
          </DataTypeTemplates>
        </SCL>
        """

    @Test("SDI ix sets one element of a constructed or SDO array, DAI ix one element of a basic array")
    func elements() throws {
        let model = try SCLLoader().load(data: Data(Self.text.utf8), fileName: "arrays.icd")
        func value(_ reference: String) -> DataValue? { model.handle(for: reference).map { model.initialValues[$0.slot] } }
        #expect(value("LD/LLN0.Crv.pts(2).xVal") == .float32(5))
        #expect(value("LD/LLN0.Crv.pts(1).xVal") == .float32(0))
        #expect(value("LD/LLN0.Crv.pts(3).xVal") == .float32(0))
        #expect(value("LD/LLN0.Crv.vals(1)") == .integer(7))
        #expect(value("LD/LLN0.Crv.vals(0)") == .integer(0))
        #expect(value("LD/LLN0.Phs.ph(1).stVal") == .boolean(true))
        #expect(value("LD/LLN0.Phs.ph(0).stVal") == .boolean(false))
        #expect(value("LD/LLN0.Crv.vals(-1)") == nil)
    }

    @Test("of several setting-group values, the active group's is taken")
    func settingGroups() throws {
        let model = try SCLLoader().load(data: Data(Self.text.utf8), fileName: "arrays.icd")
        #expect(model.handle(for: "LD/LLN0.Crv.setVal").map { model.initialValues[$0.slot] } == .integer(20))
    }

    @Test("an index outside its array is an error naming the line")
    func outside() {
        let bad = Self.text.replacingOccurrences(of: "<SDI name=\"pts\" ix=\"2\">", with: "<SDI name=\"pts\" ix=\"9\">")
        do {
            _ = try SCLLoader().load(data: Data(bad.utf8), fileName: "arrays.icd")
            Issue.record("loaded")
        } catch {
            #expect(error.kind == .invalidValue)
            #expect(error.line == 5)
        }
    }
}
