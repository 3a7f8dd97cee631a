import EventLog
import Foundation
import GatewayCore
import IEC61850Model
import IEC61850Server
import Logging
import Synchronization
import Testing

@Suite("Event log listing: times and export formats")
struct EventExportTests {
    static let events = [
        GatewayEvent(id: 1, timeMilliseconds: 1_795_000_000_123, kind: .value, reference: "GenericIO/GGIO1.Ind1.stVal", value: "true", quality: "good"),
        GatewayEvent(
            id: 2, timeMilliseconds: 1_795_000_001_000, kind: .command, reference: "GenericIO/GGIO1.SPCSO1", value: "true", client: "127.0.0.1:5000",
            origin: "3:scada, \"night\"", controlNumber: 4, result: "failure", cause: "timeLimitOver", detail: "Oper"),
    ]

    @Test("times: ISO 8601, a date, and relative to now")
    func times() {
        #expect(EventTime.parse("2026-11-26T10:00:00Z", now: 0) == 1_795_687_200_000)
        #expect(EventTime.parse("2026-11-26T10:00:00.250Z", now: 0) == 1_795_687_200_250)
        #expect(EventTime.parse("2026-11-26", now: 0) == 1_795_651_200_000)
        #expect(EventTime.parse("-2h", now: 10_000_000) == 2_800_000)
        #expect(EventTime.parse("-15m", now: 1_000_000) == 100_000)
        #expect(EventTime.parse("yesterday", now: 0) == nil)
        #expect(EventTime.parse("-3w", now: 0) == nil)
        #expect(EventTime.format(1_795_687_200_250) == "2026-11-26T10:00:00.250Z")
    }

    @Test("the events of a redundant pair's two logs name their node in every format")
    func nodes() throws {
        let nodes = ["gw-a", "gw-b"]
        let csv = EventExport.csv(Self.events, nodes: nodes).components(separatedBy: "\r\n")
        #expect(csv[0] == "id,time,node,kind,reference,value,quality,client,origin,ctlNum,result,cause,detail")
        #expect(csv[1].hasPrefix("1,2026-11-18T11:06:40.123Z,gw-a,value,"))
        #expect(csv[2].hasPrefix("2,2026-11-18T11:06:41.000Z,gw-b,command,"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(EventExport.json(Self.events, nodes: nodes).utf8)) as? [[String: Any]])
        #expect(json.map { $0["node"] as? String } == nodes)
        let text = EventExport.text(Self.events, nodes: nodes).split(separator: "\n")
        #expect(text[0].hasPrefix("2026-11-18T11:06:40.123Z  [gw-a] value"))
        #expect(EventExport.csv(Self.events).hasPrefix("id,time,kind,"))  // one log: no node column
    }

    @Test("the computed time text is Foundation's ISO 8601 with milliseconds, over two centuries")
    func formatMatchesFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        let samples =
            [0, 951_782_400_000, 4_107_542_399_999, 1_795_687_200_250] + (0..<2000).map { _ in UInt64.random(in: 0...7_258_118_400_000, using: &generator) }
        for milliseconds in samples {
            let expected = formatter.string(
                from: Date(timeIntervalSince1970: Double(milliseconds / 1000)).addingTimeInterval(Double(milliseconds % 1000) / 1000))
            #expect(EventTime.format(milliseconds) == expected, "\(milliseconds)")
        }
    }

    @Test("CSV: a header, one row per event, fields with commas and quotes quoted")
    func csv() {
        let lines = EventExport.csv(Self.events).components(separatedBy: "\r\n")
        #expect(lines[0] == "id,time,kind,reference,value,quality,client,origin,ctlNum,result,cause,detail")
        #expect(lines[1] == "1,2026-11-18T11:06:40.123Z,value,GenericIO/GGIO1.Ind1.stVal,true,good,,,,,,")
        #expect(
            lines[2]
                == "2,2026-11-18T11:06:41.000Z,command,GenericIO/GGIO1.SPCSO1,true,,127.0.0.1:5000,\"3:scada, \"\"night\"\"\",4,failure,timeLimitOver,Oper")
    }

    @Test("JSON: objects with the CSV's names, numbers as numbers, absent fields left out")
    func json() throws {
        let data = Data(try EventExport.json(Self.events).utf8)
        let objects = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(objects.count == 2)
        #expect(objects[1]["ctlNum"] as? Int == 4)
        #expect(objects[1]["origin"] as? String == "3:scada, \"night\"")
        #expect(objects[0]["client"] == nil)
        #expect(objects[0]["timeMs"] as? Int == 1_795_000_000_123)
    }

    @Test("quality and value texts")
    func texts() {
        var quality = Quality(validity: .questionable)
        quality.insert(.failure)
        quality.insert(.oldData)
        #expect(quality.eventText == "questionable failure oldData")
        #expect(Quality.good.eventText == "good")
        #expect(DataValue.string("abc").eventText == "abc")
        #expect(DataValue.float32(1.5).eventText == "1.5")
    }

    @Test("the default event log path: systemd's state folder, else XDG, else the home folder")
    func defaultPath() {
        #expect(EventLogLocation.defaultPath(environment: ["STATE_DIRECTORY": "/var/lib/iec61850-gateway"]) == "/var/lib/iec61850-gateway/events.sqlite")
        #expect(EventLogLocation.defaultPath(environment: ["XDG_STATE_HOME": "/s"]) == "/s/iec61850-gateway/events.sqlite")
        #expect(EventLogLocation.defaultPath(environment: ["HOME": "/home/op"]) == "/home/op/.local/state/iec61850-gateway/events.sqlite")
    }
}

@Suite("The runtime's events: values, qualities and communication, once per change")
struct RuntimeEventTests {
    @Test("a value change, a repeat, a device loss and its return make exactly the events they should")
    func events() throws {
        let configuration = try ConfigurationReader.parse(
            """
            modbus:
              - {name: dev, tcp: "127.0.0.1:1502"}
            points:
              - ref: GenericIO/GGIO1.Ind1
                modbus: {device: dev, table: coil, address: 5}
            """, file: "plant.yaml")
        let model = try SCLLoader().load(file: ConfigurationTests.root.appendingPathComponent("mappings/demo/demo.icd").path)
        let recorded = Mutex<[GatewayEvent]>([])
        let runtime = GatewayRuntime(
            bindings: try ConfigurationValidator.bind(configuration, to: model), services: IedServer(model: model).services, logger: Logger(label: "test"),
            record: { events in recorded.withLock { $0.append(contentsOf: events) } })
        let time = Timestamp(millisecondsSinceEpoch: 1_000)
        for value: FieldValue? in [.bool(true), .bool(true), .bool(false), nil, nil, .bool(false)] {
            runtime.apply([FieldReading(point: 0, value: value, time: time)])
        }
        let summary = recorded.withLock { $0 }.map { "\($0.kind.rawValue) \($0.reference) \($0.value ?? $0.quality ?? $0.result ?? "")" }
        #expect(
            summary == [
                "value GenericIO/GGIO1.Ind1.stVal true",
                "value GenericIO/GGIO1.Ind1.stVal false",
                "communication modbus dev down",
                "quality GenericIO/GGIO1.Ind1 invalid failure",
                "communication modbus dev up",
                "quality GenericIO/GGIO1.Ind1 good",
            ])
    }
}
