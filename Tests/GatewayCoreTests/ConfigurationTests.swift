import Foundation
import IEC61850Model
import Testing

@testable import GatewayCore

@Suite("Gateway configuration files")
struct ConfigurationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let demoModel: IedModel = try! SCLLoader().load(file: root.appendingPathComponent("mappings/demo/demo.icd").path)

    static func messages(_ text: String) -> [String] {
        do {
            let configuration = try ConfigurationReader.parse(text, file: "plant.yaml")
            _ = try ConfigurationValidator.bind(configuration, to: demoModel)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    static let device = """
        modbus:
          - name: meter
            tcp: 127.0.0.1:1502
            word-order: little
        """

    @Test("a valid file: devices, points with transforms and a control route")
    func valid() throws {
        let configuration = try ConfigurationReader.parse(
            Self.device + """

                points:
                  - ref: Measurement/MMXU1.TotW
                    modbus: {device: meter, table: holding, address: 0, type: float32}
                    scale: 0.001
                    poll-ms: 500
                  - ref: GenericIO/GGIO3.Pos1
                    modbus: {device: meter, table: input, address: 4}
                    map: {0: intermediate, 1: off, 2: on, 3: bad}
                    control:
                      modbus: {device: meter, table: coil, address: 12}
                      map: {true: 1, false: 0}
                      confirm-ms: 1500
                """, file: "plant.yaml")
        #expect(configuration.modbusDevices.first?.transport == .tcp(host: "127.0.0.1", port: 1502))
        #expect(configuration.modbusDevices.first?.wordOrder == .little)
        let bindings = try ConfigurationValidator.bind(configuration, to: Self.demoModel)
        #expect(bindings.map(\.value.reference) == ["Measurement/MMXU1.TotW.mag.f", "GenericIO/GGIO3.Pos1.stVal"])
        #expect(bindings[0].quality?.reference == "Measurement/MMXU1.TotW.q")
        #expect(bindings[0].point.transform.scale == 0.001)
        #expect(bindings[1].point.control?.confirmMilliseconds == 1500)
        #expect(bindings[1].point.modbus?.type == .uint16)
    }

    @Test("compacted points are equal to the ones read, and keep none of their text storage")
    func compacted() throws {
        let configuration = try ConfigurationReader.parse(
            """
            mqtt: {url: "mqtt://127.0.0.1:1883"}
            modbus:
              - {name: a-device-with-a-long-name, tcp: 127.0.0.1}
            points:
              - ref: Measurement/MMXU1.TotW
                modbus: {device: a-device-with-a-long-name, table: holding, address: 0, type: float32}
              - ref: GenericIO/GGIO3.Pos1
                mqtt: {topic: plant/switchgear/feeder-1/position, value: data.position.value}
                map: {open-position: off, closed-position: on}
                control:
                  mqtt: {topic: plant/switchgear/feeder-1/command, response: plant/switchgear/feeder-1/response}
                  map: {false: open-the-breaker, true: close-the-breaker}
            """, file: "plant.yaml")
        let compact = configuration.compacted()
        #expect(compact.points == configuration.points)
        func storage(_ text: String) -> UnsafeRawPointer? {
            var text = text
            return text.withUTF8 { UnsafeRawPointer($0.baseAddress) }
        }
        // Text longer than 15 bytes has storage of its own; compacted, that is new storage.
        let original = configuration.points, copy = compact.points
        #expect(storage(copy[0].reference) != storage(original[0].reference))
        #expect(storage(copy[0].modbus!.device) != storage(original[0].modbus!.device))
        #expect(storage(copy[1].mqtt!.topic) != storage(original[1].mqtt!.topic))
        #expect(storage(copy[1].mqtt!.valuePath!) != storage(original[1].mqtt!.valuePath!))
        #expect(storage(copy[1].control!.mqtt!.responseTopic!) != storage(original[1].control!.mqtt!.responseTopic!))
        #expect(storage(copy[1].control!.valueMap["true"]!) != storage(original[1].control!.valueMap["true"]!))
        #expect(storage(copy[1].transform.valueMap["closed-position"]!) != storage(original[1].transform.valueMap["closed-position"]!))
    }

    /// Points with one problem each that only the model can tell (lines 6, 8, 10 and 12).
    static let brokenPoints = """

        points:
          - ref: GenericIO/GGIO1.Ind9
            modbus: {device: meter, table: coil, address: 1}
          - ref: GenericIO/GGIO1.Ind1
            modbus: {device: metre, table: coil, address: 2}
          - ref: GenericIO/GGIO1.Ind2
            modbus: {device: meter, table: coil, address: 3, type: float32}
          - ref: GenericIO/GGIO1.AnIn1
            modbus: {device: meter, table: holding, address: 10, type: float32}
            control:
              modbus: {device: meter, table: coil, address: 5}

        """

    @Test("every error names the file, the line and the point, in words an integrator understands")
    func errors() {
        let messages = Self.messages(
            Self.device + Self.brokenPoints + """
                  - ref: GenericIO/GGIO1.SPCSO1
                    modbus: {device: meter, table: coil, address: 6}
                    control:
                      map: {true: 1}
                  - ref: GenericIO/GGIO1.AnIn2
                    modbus: {device: meter, table: holding, address: 10, type: float32}
                    sclae: 2
                """)
        #expect(
            messages == [
                "plant.yaml:16: point GenericIO/GGIO1.SPCSO1: control has no route: add modbus: {device, table, address} or mqtt: {topic}",
                "plant.yaml:22: unknown setting 'sclae' in a point (expected cdc, control, ctl-model, deadband, invert, map, modbus, mqtt, offset, on-failure, poll-ms, ref, scale, stale-ms)",
            ])
        let bound = Self.messages(
            Self.device + Self.brokenPoints + """
                  - ref: GenericIO/GGIO1.AnIn2
                    modbus: {device: meter, table: holding, address: 10, type: float32}
                """)
        #expect(
            bound == [
                "plant.yaml:6: point GenericIO/GGIO1.Ind9: no data object or attribute 'GenericIO/GGIO1.Ind9' in the model",
                "plant.yaml:8: point GenericIO/GGIO1.Ind1: source: no Modbus device named 'metre' (defined: meter)",
                "plant.yaml:10: point GenericIO/GGIO1.Ind2: source: table coil holds bits; type must be bool",
                "plant.yaml:12: point GenericIO/GGIO1.AnIn1: has a control route, but GenericIO/GGIO1.AnIn1 takes no controls (no Oper)",
                "plant.yaml:16: point GenericIO/GGIO1.AnIn2: reads the same Modbus address as the point at line 12 (meter holding 10)",
            ])
    }

    @Test("units of one serial port share its settings and have their own addresses; clashes name both devices")
    func sharedSerialPort() {
        let messages = Self.messages(
            """
            modbus:
              - name: a
                rtu: {device: /dev/ttyUSB0, baud: 9600}
              - name: b
                rtu: {device: /dev/ttyUSB0, baud: 9600}
                unit: 2
              - name: c
                rtu: {device: /dev/ttyUSB0, baud: 19200}
                unit: 3
              - name: d
                rtu: {device: /dev/ttyUSB0, baud: 9600}
                unit: 2
            """)
        #expect(
            messages == [
                "plant.yaml:7: device c: serial port /dev/ttyUSB0 is also used by device a (line 2) with other settings; the units of one line share baud, parity, data and stop bits and RS-485 mode",
                "plant.yaml:10: device d: unit 2 on serial port /dev/ttyUSB0 is also device b (line 4); give each unit of a line its own address",
            ])
    }

    @Test("a write function code must fit the table and the register count, and belongs to a control route")
    func writeFunctions() {
        let messages = Self.messages(
            Self.device + """

                points:
                  - ref: GenericIO/GGIO1.SPCSO1
                    modbus: {device: meter, table: coil, address: 6, function: 5}
                    control:
                      modbus: {device: meter, table: coil, address: 7, function: 16}
                  - ref: GenericIO/GGIO3.AnCtl1
                    modbus: {device: meter, table: holding, address: 20, type: float32}
                    control:
                      modbus: {device: meter, table: holding, address: 30, type: float32, function: 6}
                  - ref: GenericIO/GGIO1.SPCSO2
                    modbus: {device: meter, table: coil, address: 8}
                    control:
                      modbus: {device: meter, table: coil, address: 9, function: 15}
                """)
        #expect(
            messages == [
                "plant.yaml:6: point GenericIO/GGIO1.SPCSO1: source: function names a write function code; it belongs to a control route",
                "plant.yaml:6: point GenericIO/GGIO1.SPCSO1: control route: function 16 cannot write table coil; use 5 or 15",
                "plant.yaml:10: point GenericIO/GGIO3.AnCtl1: control route: function 6 writes one register, but float32 takes 2; use 16",
            ])
    }

    @Test("server settings: the event-loop threads")
    func eventLoops() throws {
        let configuration = try ConfigurationReader.parse("server: {port: 10102, event-loops: 2}\n", file: "plant.yaml")
        #expect(configuration.server.eventLoopThreads == 2)
        #expect(try ConfigurationReader.parse("server: {port: 10102}\n", file: "plant.yaml").server.eventLoopThreads == nil)
        #expect(Self.messages("server:\n  event-loops: 0\n") == ["plant.yaml:2: server.event-loops must be a whole number from 1 to 64, not '0'"])
    }

    @Test("files: and server identity: are read; a missing folder or a bad value names its line")
    func filesAndIdentity() throws {
        let folder = NSTemporaryDirectory()
        let text = "server:\n  identity: {vendor: ACME, model: GW-1, revision: '7'}\nfiles:\n  root: \(folder)\n  delete: true\n  log-days: 3\n"
        let configuration = try ConfigurationReader.parse(text, file: "plant.yaml")
        #expect(configuration.server.vendor == "ACME" && configuration.server.modelName == "GW-1" && configuration.server.revision == "7")
        #expect(configuration.files?.root == folder && configuration.files?.allowsDelete == true && configuration.files?.logDays == 3)
        #expect(Self.messages("files:\n  root: /no/such/folder\n") == ["plant.yaml:2: files.root: no folder at /no/such/folder"])
        #expect(Self.messages("files:\n  max-open: 0\n") == ["plant.yaml:2: files.max-open must be a whole number from 1 to 10000, not '0'"])
    }

    @Test("YAML syntax errors and wrong value types give the line")
    func syntax() {
        #expect(Self.messages("points:\n  - ref: [unclosed\n").first?.hasPrefix("plant.yaml:3: not valid YAML") == true)
        #expect(
            Self.messages("server:\n  port: 70000\n") == ["plant.yaml:2: server.port must be a whole number from 0 to 65535, not '70000'"])
        #expect(
            Self.messages("servers: {}\n") == [
                "plant.yaml:1: unknown section 'servers' (expected model, server, http, diagnostics, event-log, files, redundancy, modbus, mqtt, points, include)"
            ])
    }
}

@Suite("The example mapping files")
struct ExampleMappingTests {
    static let examples: [String] = {
        let folder = ConfigurationTests.root.appendingPathComponent("mappings")
        let files = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
        return files.filter { $0.hasSuffix(".yaml") }.sorted().map { folder.appendingPathComponent($0).path }
    }()

    @Test("every example in mappings/ validates against its model (fragments through the files that include them)", arguments: examples)
    func validates(path: String) throws {
        let configuration = try ConfigurationReader.load(file: path)
        if configuration.scl == nil && configuration.ied != nil {  // the model is built from the points
            #expect(!(try ConfigurationValidator.bind(configuration, to: try ModelFromPoints.build(configuration))).isEmpty)
            return
        }
        guard let scl = configuration.scl else {
            // A fragment (points only): some other file must include it, and is validated itself.
            let name = URL(fileURLWithPath: path).lastPathComponent
            let includers = Self.examples.filter { $0 != path && ((try? String(contentsOfFile: $0, encoding: .utf8)) ?? "").contains(name) }
            #expect(!includers.isEmpty, "\(name) has no model and nothing includes it")
            return
        }
        let bindings = try ConfigurationValidator.bind(configuration, to: try SCLLoader(renameTo: configuration.ied).load(file: scl))
        #expect(!bindings.isEmpty)
    }
}

@Suite("A model built from the points (no SCL file)")
struct ModelFromPointsTests {
    /// A feeder: a measurement, a breaker (DPC, SBO with enhanced security, routed), an alarm and a counter.
    static let plant = """
        model: {ied: PLANT}
        modbus:
          - {name: io, tcp: "127.0.0.1:1502"}
        points:
          - {ref: Feeder1/MMXU1.TotW, cdc: MV, modbus: {device: io, table: input, address: 0, type: float32}}
          - ref: Feeder1/Q0XCBR1.Pos
            cdc: DPC
            ctl-model: sbo-with-enhanced-security
            modbus: {device: io, table: input, address: 2}
            control: {modbus: {device: io, table: coil, address: 1}}
          - {ref: Feeder1/GGIO1.Alm1, cdc: SPS, modbus: {device: io, table: discrete-input, address: 3}}
          - {ref: Feeder1/GGIO1.Cnt1, cdc: INS, modbus: {device: io, table: input, address: 4}}
        """

    @Test("LDs, LNs (prefix, class, instance) and data objects of the named classes; controls as routed")
    func build() throws {
        let configuration = try ConfigurationReader.parse(Self.plant, file: "plant.yaml")
        let model = try ModelFromPoints.build(configuration)
        #expect(model.name == "PLANT")
        #expect(model.logicalDevices.map { $0.name(iedName: model.name) } == ["PLANTFeeder1"])
        #expect(model.logicalDevices[0].logicalNodes.map(\.name) == ["LLN0", "MMXU1", "Q0XCBR1", "GGIO1"])
        #expect(model.logicalDevices[0].logicalNodes[2].prefix == "Q0" && model.logicalDevices[0].logicalNodes[2].lnClass == "XCBR")
        #expect(model.handle(for: "Feeder1/Q0XCBR1.Pos.ctlModel") != nil)
        let bindings = try ConfigurationValidator.bind(configuration, to: model)
        #expect(
            bindings.map(\.value.reference) == [
                "Feeder1/MMXU1.TotW.mag.f", "Feeder1/Q0XCBR1.Pos.stVal", "Feeder1/GGIO1.Alm1.stVal", "Feeder1/GGIO1.Cnt1.stVal",
            ])
    }

    @Test("a point without a class, or with a reference that is not LD/LN.DO, is explained")
    func errors() {
        do {
            _ = try ModelFromPoints.build(
                try ConfigurationReader.parse(
                    """
                    points:
                      - ref: Feeder1/MMXU1.TotW
                        modbus: {device: io, table: input, address: 0}
                      - ref: Feeder1/mmxu.TotW
                        cdc: MV
                        modbus: {device: io, table: input, address: 1}
                    """, file: "plant.yaml"))
            Issue.record("expected errors")
        } catch let error as ConfigurationErrors {
            #expect(
                error.errors.map(\.description) == [
                    "plant.yaml:2: point Feeder1/MMXU1.TotW: no SCL file is named, so the gateway builds the model: give the data object's class, e.g. cdc: MV",
                    "plant.yaml:4: point Feeder1/mmxu.TotW: without an SCL file a reference is LD/LN.DO, with an LN name such as GGIO1 or Q0XCBR1",
                ])
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

@Suite("export-scl: the built model as an ICD")
struct SCLExportTests {
    @Test("the exported ICD loads back with the same objects, types and control settings, and the points bind to it")
    func roundTrip() throws {
        let configuration = try ConfigurationReader.parse(ModelFromPointsTests.plant, file: "plant.yaml")
        let built = try ModelFromPoints.build(configuration)
        let text = SCLWriter.icd(built)
        let loaded = try SCLLoader().load(data: Data(text.utf8), fileName: "exported.icd")
        #expect(loaded.name == "PLANT")
        #expect(loaded.logicalDevices.map { $0.logicalNodes.map(\.name) } == built.logicalDevices.map { $0.logicalNodes.map(\.name) })
        for reference in ["Feeder1/MMXU1.TotW.mag.f", "Feeder1/Q0XCBR1.Pos.stVal", "Feeder1/Q0XCBR1.Pos.ctlModel", "Feeder1/GGIO1.Cnt1.stVal"] {
            #expect(loaded.handle(for: reference)?.type == built.handle(for: reference)?.type, "\(reference)")
        }
        let ctlModel = try #require(loaded.handle(for: "Feeder1/Q0XCBR1.Pos.ctlModel"))
        #expect(loaded.initialValues[ctlModel.slot] == .integer(4))
        #expect(loaded.dataObject(at: "Feeder1/Q0XCBR1.Pos")?.cdc == "DPC")
        #expect(try ConfigurationValidator.bind(configuration, to: loaded).count == 4)
    }

    @Test("with the diagnostics LD: its data set and report control blocks load back as they were built")
    func diagnosticsRoundTrip() throws {
        let configuration = try ConfigurationReader.parse(ModelFromPointsTests.plant, file: "plant.yaml")
        let channels = ["modbus meter", "mqtt broker:1883"]
        let built = try ModelFromPoints.build(configuration).adding(DiagnosticsDevice.spec(channels: channels, version: "1.2.3"))
        let loaded = try SCLLoader().load(data: Data(SCLWriter.icd(built).utf8), fileName: "exported.icd")
        let device = try #require(loaded.logicalDevices.first { $0.inst == DiagnosticsDevice.inst })
        let original = try #require(built.logicalDevices.first { $0.inst == DiagnosticsDevice.inst })
        #expect(device.logicalNodes.map(\.name) == ["LLN0", "LPHD1", "LCCH1", "LCCH2"])
        #expect(device.logicalNodes[0].dataSets == original.logicalNodes[0].dataSets)
        #expect(device.logicalNodes[0].reportControls == original.logicalNodes[0].reportControls)
        let name = try #require(loaded.handle(for: "Diag/LCCH2.NamPlt.d"))
        #expect(loaded.initialValues[name.slot] == .string("mqtt broker:1883"))
        #expect(loaded.handle(for: "Diag/LPHD1.PhyHealth.stVal") != nil && loaded.handle(for: "Diag/LCCH1.RxCnt.stVal")?.type == .int32)
    }
}
