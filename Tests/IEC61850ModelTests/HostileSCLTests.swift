import Foundation
import Testing

@testable import IEC61850Model

@Suite("SCL files that would exhaust a naive loader")
struct HostileSCLTests {
    func load(_ text: String) throws(SCLError) -> IedModel {
        try SCLLoader().load(data: Data(text.utf8), fileName: "hostile.icd")
    }

    /// One LN0 whose Mod has a DA `arr` described by `daAttributes` (for example `count="…"`).
    static func document(daAttributes: String, doCount: String = "") -> String {
        """
        <SCL xmlns="http://www.iec.ch/61850/2003/SCL">
          <IED name="X"><AccessPoint name="AP"><Server><LDevice inst="LD">
            <LN0 lnClass="LLN0" inst="" lnType="LLN0T"/>
          </LDevice></Server></AccessPoint></IED>
          <DataTypeTemplates>
            <LNodeType id="LLN0T" lnClass="LLN0"><DO name="Mod" type="ENCT" \(doCount)/></LNodeType>
            <DOType id="ENCT" cdc="ENC"><DA name="arr" bType="Struct" type="S" fc="ST" \(daAttributes)/></DOType>
            <DAType id="S"><BDA name="v" bType="INT32" count="10000"/><BDA name="w" bType="INT32"/></DAType>
          </DataTypeTemplates>
        </SCL>
        """
    }

    @Test("an array count past the limit, negative or not a number is an error naming the line, not a billion slots", arguments: ["1000000000", "-5", "lots"])
    func hugeCount(count: String) {
        #expect(throws: SCLError.self) { try load(Self.document(daAttributes: "count=\"\(count)\"")) }
        do {
            _ = try load(Self.document(daAttributes: "count=\"\(count)\""))
        } catch {
            #expect(error.line == 7)
            #expect(error.message.contains("count '\(count)'"))
        }
    }

    @Test("arrays within arrays that multiply past the model limit are refused before anything is built")
    func multiplied() {
        // 10,000 structures of 10,001 attributes each, in 10,000 data objects: far past 20 million.
        let text = Self.document(daAttributes: "count=\"10000\"", doCount: "count=\"10000\"")
        let started = ContinuousClock.now
        #expect(throws: SCLError.self) { try load(text) }
        do { _ = try load(text) } catch { #expect(error.kind == .tooLarge) }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("entities that expand each other (a billion laughs) are refused with their document type declaration")
    func entityExpansion() {
        var entities = "<!ENTITY a0 \"aaaaaaaaaa\">"
        for level in 1...9 { entities += "<!ENTITY a\(level) \"" + String(repeating: "&a\(level - 1);", count: 10) + "\">" }
        let text = """
            <?xml version="1.0"?>
            <!DOCTYPE SCL [\(entities)]>
            <SCL xmlns="http://www.iec.ch/61850/2003/SCL"><IED name="&a9;"/></SCL>
            """
        do {
            _ = try load(text)
            Issue.record("loaded")
        } catch {
            #expect(error.kind == .malformedXML && error.line == 2 && error.message.contains("document type declaration"))
        }
    }

    @Test("an external entity is not read (no local file leaks into the model)")
    func externalEntity() throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(getpid()).txt")
        try "TOPSECRET".write(to: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: secret) }
        let text = """
            <?xml version="1.0"?>
            <!DOCTYPE SCL [<!ENTITY leak SYSTEM "file://\(secret.path)">]>
            <SCL xmlns="http://www.iec.ch/61850/2003/SCL">
              <IED name="X&leak;"><AccessPoint name="AP"><Server><LDevice inst="LD">
                <LN0 lnClass="LLN0" inst="" lnType="LLN0T"/>
              </LDevice></Server></AccessPoint></IED>
              <DataTypeTemplates>
                <LNodeType id="LLN0T" lnClass="LLN0"><DO name="Mod" type="ENCT"/></LNodeType>
                <DOType id="ENCT" cdc="ENC"><DA name="stVal" bType="INT32" fc="ST"/></DOType>
              </DataTypeTemplates>
            </SCL>
            """
        do {
            let model = try load(text)
            Issue.record("loaded \(model.name)")
        } catch {
            #expect(error.kind == .malformedXML && error.message.contains("document type declaration"))
        }
    }

    @Test("a file that is not UTF-8 is refused with the line of the first bad byte (Foundation's parser used to trap on such element names)")
    func notUTF8() {
        var bytes = Array("<SCL>\n<IED name=\"X\"/>\n<".utf8)
        bytes += [0xF0, 0xF0, 0xF0, 0xF0] + Array("/>\n</SCL>".utf8)
        do {
            _ = try SCLLoader().load(data: Data(bytes), fileName: "latin.icd")
            Issue.record("loaded")
        } catch {
            #expect(error.kind == .malformedXML && error.line == 3 && error.message.contains("not UTF-8"))
        }
    }

    @Test("elements nested thousands deep are refused by the parser, not a stack overflow")
    func deepNesting() {
        let text = "<SCL>" + String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000) + "</SCL>"
        #expect(throws: SCLError.self) { try load(text) }
    }
}

@Suite("ISO 8601 times from outside, read without ICU")
struct ISO8601TimeTests {
    @Test("the forms people write")
    func good() {
        #expect(ISO8601Time.milliseconds("2023-11-14T22:13:20Z") == 1_700_000_000_000)
        #expect(ISO8601Time.milliseconds("2023-11-14T22:13:20.5Z") == 1_700_000_000_500)
        #expect(ISO8601Time.milliseconds("2023-11-14T22:13:20.123456789Z") == 1_700_000_000_123)
        #expect(ISO8601Time.milliseconds("2023-11-14T23:13:20+01:00") == 1_700_000_000_000)
        #expect(ISO8601Time.milliseconds("2023-11-14T21:13:20-0100") == 1_700_000_000_000)
        #expect(ISO8601Time.milliseconds("2024-02-29") == 1_709_164_800_000)
        #expect(ISO8601Time.milliseconds("1970-01-01T00:00:00Z") == 0)
    }

    @Test(
        "anything else is nil, never a trap (the fraction of a hundred digits trapped in ICU)",
        arguments: [
            "5-1-4T2:3:0." + String(repeating: "7", count: 120) + "Z", "2023-02-29", "2023-13-01", "1969-12-31T23:59:59Z", "2106-12-31T00:00:00Z",
            "2023-11-14T24:00:00Z", "2023-11-14T22:13:20", "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20Z junk", "", "yesterday",
            "2023-11-14T22:13:20+99:00",
        ])
    func bad(text: String) {
        #expect(ISO8601Time.milliseconds(text) == nil)
    }
}
