import Testing

@testable import IEC61850Model

@Suite("The XML reader of SCL files")
struct XMLReaderTests {
    func parse(_ text: String) throws(XMLParseFailure) -> XMLElementNode { try XMLElementNode.parse(bytes: Array(text.utf8)) }

    /// The failure a document gives, or nil if it parses.
    func failure(_ text: String) -> XMLParseFailure? {
        do {
            _ = try parse(text)
            return nil
        } catch { return error }
    }

    @Test("elements, attributes, lines and text")
    func tree() throws {
        let root = try parse(
            """
            \u{FEFF}<?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment before the root -->
            <scl:SCL xmlns:scl="http://www.iec.ch/61850/2003/SCL" version='2007'>
              <IED name="A &amp; B" desc="line&#10;break	tab"/>
              <Val sGroup="1">  12.5 <!-- units: kV --> </Val>
              <Val><![CDATA[<raw> & ]]>text</Val>
              <Text>&lt;&gt;&quot;&apos;&#65;&#x42;&#x20AC;</Text>
              <?processing instruction?><?empty?>
            </scl:SCL>
            <!-- and one after -->
            """)
        #expect(root.name == "SCL")
        #expect(root["xmlns:scl"] == "http://www.iec.ch/61850/2003/SCL" && root["version"] == "2007")
        #expect(root.line == 3)
        #expect(root.children.map(\.name) == ["IED", "Val", "Val", "Text"])
        #expect(root.children.map(\.line) == [4, 5, 6, 7])
        let ied = try #require(root.child(named: "IED"))
        #expect(ied["name"] == "A & B")
        #expect(ied["desc"] == "line\nbreak tab")  // a literal tab is normalized to a space, a reference is kept
        #expect(root.children[1].text == "12.5")
        #expect(root.children[1]["sGroup"] == "1")
        #expect(root.children[2].text == "<raw> & text")
        #expect(root.children[3].text == "<>\"'AB€")
        #expect(root.text.isEmpty)
    }

    @Test("a start tag over several lines has the line of its '<'")
    func multiLineTag() throws {
        let root = try parse("<SCL>\n\n  <LN\n    lnClass=\"GGIO\"\n    inst=\"1\"/>\n</SCL>")
        #expect(root.children.first?.line == 3)
        #expect(root.children.first?["inst"] == "1")
    }

    @Test(
        "malformed documents give the line and what is wrong",
        arguments: [
            ("<SCL>\n<IED name=\"X\">\n</SCL>", 3, "does not match <IED> of line 2"),
            ("<SCL>\n<IED name=\"X\">\n", 3, "ends before </IED> (opened on line 2)"),
            ("<SCL>\n<IED name=\"X\" name=\"Y\"/></SCL>", 2, "attribute 'name' appears twice"),
            ("<SCL>\n\n<IED name=X/></SCL>", 3, "not in quotes"),
            ("<SCL>\n<IED name/></SCL>", 2, "attribute 'name' of <IED> has no value"),
            ("<SCL>\n<IED name=\"a<b\"/></SCL>", 2, "'<' in the value of attribute 'name'"),
            ("<SCL>\n<IED name=\"X\"/></SCL", 2, "'>' expected to close </SCL>"),
            ("<SCL>\n<IED name=\"X/></SCL>", 2, "'<' in the value"),
            ("<SCL>\n<Val>&nbsp;</Val></SCL>", 2, "undefined entity &nbsp;"),
            ("<SCL>\n<Val>a & b</Val></SCL>", 2, "'&' that does not start an entity reference"),
            ("<SCL><Val>&#0;</Val></SCL>", 1, "&#0; is not a character XML allows"),
            ("<SCL><Val>&#xD800;</Val></SCL>", 1, "is not a character XML allows"),
            ("<SCL>\n<Val>\u{1}</Val></SCL>", 2, "a control character (0x1)"),
            ("<SCL/>\n<SCL/>", 2, "a second root element <SCL>"),
            ("<SCL/>\ntrailing", 2, "text after the end of the root element"),
            ("junk<SCL/>", 1, "text before the root element"),
            ("", 1, "the document is empty"),
            ("  \n<!-- only a comment -->\n", 3, "the document is empty"),
            ("<SCL>\n<!-- never closed </SCL>", 2, "a comment is not closed"),
            ("<SCL>\n<![CDATA[ never closed</SCL>", 2, "a CDATA section is not closed"),
            ("<?xml version=\"1.0\"\n<SCL/>", 1, "a processing instruction is not closed"),
            ("<SCL></>", 1, "a name expected after </"),
            ("<SCL><1a/></SCL>", 1, "a name expected after <"),
            ("<SCL><IED a=\"1\"b=\"2\"/></SCL>", 1, "'>' or a space expected"),
            ("<SCL></SCL></IED>", 1, "closes nothing"),
            ("<!DOCTYPE SCL>\n<SCL/>", 1, "document type declaration"),
            ("<SCL><!ELEMENT x></SCL>", 1, "starts neither a comment nor a CDATA section"),
            ("<SCL><", 1, "ends after '<'"),
            ("<SCL><IED name=\"X\"", 1, "ends inside the start tag <IED>"),
        ] as [(String, Int, String)])
    func malformed(text: String, line: Int, message: String) {
        let failure = failure(text)
        #expect(failure?.line == line, "\(failure?.message ?? "parsed")")
        #expect(failure?.message.contains(message) == true, "\(failure?.message ?? "parsed")")
    }

    @Test("bytes that are not UTF-8 are refused with their line")
    func notUTF8() {
        let bytes = Array("<SCL>\n\n<IED name=\"".utf8) + [0xC3, 0x28] + Array("\"/></SCL>".utf8)
        do {
            _ = try XMLElementNode.parse(bytes: bytes)
            Issue.record("parsed")
        } catch {
            #expect(error.line == 3 && error.message.contains("not UTF-8 (byte 18)"))
        }
        #expect([0xE2, 0x82, 0xAC, 0x41].withUnsafeBufferPointer { XMLReader.firstInvalidUTF8($0) } == nil)
        #expect([0x41, 0xED, 0xA0, 0x80].withUnsafeBufferPointer { XMLReader.firstInvalidUTF8($0) } == 1)  // a surrogate
        #expect([0x41, 0xC0, 0x80].withUnsafeBufferPointer { XMLReader.firstInvalidUTF8($0) } == 1)  // overlong
        #expect([0x41, 0xE2, 0x82].withUnsafeBufferPointer { XMLReader.firstInvalidUTF8($0) } == 1)  // cut short
    }

    @Test("nesting is limited, and the limit itself is fine")
    func depth() throws {
        let limit = XMLReader.maximumDepth
        let deepest = String(repeating: "<a>", count: limit) + String(repeating: "</a>", count: limit)
        #expect(throws: Never.self) { try parse(deepest) }
        let deeper = String(repeating: "<a>", count: limit + 1) + String(repeating: "</a>", count: limit + 1)
        #expect(failure(deeper)?.message.contains("nested deeper than \(limit) levels") == true)
    }

    @Test("a processing instruction with no data parses (Foundation's parser crashed on it)")
    func emptyProcessingInstruction() throws {
        #expect(try parse("<?a?><SCL><?b?></SCL>").name == "SCL")
    }

    @Test("children of a refused element are read and checked but not built")
    func pruned() throws {
        let text = "<SCL><IED name=\"A\"><LN a=\"1\">x</LN></IED><IED name=\"B\"><LN/></IED></SCL>"
        let root = try XMLElementNode.parse(bytes: Array(text.utf8)) { depth, element in depth != 1 || element["name"] == "B" }
        #expect(root.children.map { $0["name"] } == ["A", "B"])
        #expect(root.children[0].children.isEmpty && root.children[1].children.count == 1)
        let broken = "<SCL><IED name=\"A\">\n<LN a=\"1\" a=\"2\"/></IED><IED name=\"B\"/></SCL>"
        do {
            _ = try XMLElementNode.parse(bytes: Array(broken.utf8)) { depth, _ in depth != 1 }
            Issue.record("parsed")
        } catch {
            #expect(error.line == 2 && error.message.contains("appears twice"))
        }
    }

    @Test("what the SCL writer escapes reads back the same")
    func escapeRoundTrip() throws {
        let value = "a<b & \"c\" > d'é"
        let root = try parse("<SCL desc=\"\(SCLWriter.escape(value))\">\(SCLWriter.escape(value))</SCL>")
        #expect(root["desc"] == value && root.text == value)
    }
}
