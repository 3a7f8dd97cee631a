import BERCodec
import IEC61850Model
import ISOTransport
import MMS
import NIOConcurrencyHelpers
import NIOCore
import TestSupport
import Testing

@testable import IEC61850Server
@testable import MMSMapping

@Suite("MMS services over an association, in memory")
struct ServiceTests {
    let association: InMemoryAssociation

    init() throws {
        association = try InMemoryAssociation()
        try association.associate()
    }

    @Test("identify answers vendor, model and revision")
    func identify() throws {
        let response = try association.exchange(ClientFrames.data(hexBuffer("A0 05 02 01 09 82 00")))
        var expected = ByteBuffer()
        MMSResponseEncoder.writeConfirmedResponse(invokeID: 9, into: &expected) {
            let identity = IedServerConfiguration.Identity()
            MMSResponseEncoder.writeIdentifyResponse(vendor: identity.vendor, model: identity.model, revision: identity.revision, into: &$0)
        }
        #expect(response.hexDump == expected.hexDump)
    }

    @Test("status answers state-changes-allowed and operational")
    func status() throws {
        #expect(try association.exchange(ClientFrames.data(hexBuffer("A0 06 02 01 03 80 01 00"))).hexDump == "A1 0B 02 01 03 A0 06 80 01 00 81 01 00")
    }

    @Test("SCL data sets: attributes list the members; a read by list name answers each member")
    func dataSets() throws {
        let demo = try InMemoryAssociation(model: SCLLoader().load(file: Fixtures.demoSCL))
        try demo.associate()
        let attributes = try demo.exchange(
            ClientFrames.request(1) { body in
                body.writeBERElement(.contextConstructed(12)) { ObjectName.domainSpecific(domain: "DEMOGenericIO", item: "LLN0$Events").encode(into: &$0) }
            })
        var reader = BERReader(attributes)
        var pdu = try reader.readElement(.contextConstructed(1)).children
        _ = try pdu.readElement(.integer)
        var response = try pdu.readElement(.contextConstructed(12)).children
        #expect(try response.readElement(.context(0)).booleanValue() == false)
        var members = try response.readElement(.contextConstructed(1)).children
        var names: [String] = []
        while !members.isAtEnd {
            var entry = try members.readElement(.sequence).children
            var name = try entry.readElement(.contextConstructed(0)).children
            var parts = try name.readElement(.contextConstructed(1)).children
            names.append(try parts.readElement().stringValue + "/" + parts.readElement().stringValue)
        }
        #expect(names.first == "DEMOGenericIO/GGIO1$ST$Ind1$stVal")
        #expect(names.count == 8)
        let read = try demo.exchange(
            ClientFrames.request(2) { body in
                body.writeBERElement(.contextConstructed(4)) { read in
                    read.writeBERElement(.contextConstructed(1)) {
                        VariableAccessSpecification.variableListName(.domainSpecific(domain: "DEMOGenericIO", item: "LLN0$Events")).encode(into: &$0)
                    }
                }
            })
        var results = BERReader(read)
        var readPDU = try results.readElement(.contextConstructed(1)).children
        _ = try readPDU.readElement(.integer)
        var readResponse = try readPDU.readElement(.contextConstructed(4)).children
        var list = try readResponse.readElement(.contextConstructed(1)).children
        #expect(try list.readAll().count == 8)
    }

    @Test("getNameList lists domains, then every variable name in sorted order")
    func nameList() throws {
        let domains = try association.exchange(ClientFrames.getNameList(1, objectClass: 9, domain: nil))
        #expect(domains.hexDump == "A1 13 02 01 01 A1 0E A0 09 1A 07 49 45 44 31 4C 44 30 81 01 00")
        let names = try nameListNames(association.exchange(ClientFrames.getNameList(2, objectClass: 0, domain: "IED1LD0")))
        #expect(names.names.first == "GGIO1")
        #expect(names.names.contains("GGIO1$MX$AnIn1$mag$f"))
        #expect(names.names.contains("LLN0$ST$Mod$stVal"))
        #expect(names.names == names.names.sorted(by: MMSNamespace.mmsOrder))
        #expect(!names.moreFollows)
        let after = try nameListNames(association.exchange(ClientFrames.getNameList(3, objectClass: 0, domain: "IED1LD0", continueAfter: "GGIO1$ST$Ind1$t")))
        #expect(after.names.first == names.names[names.names.firstIndex(of: "GGIO1$ST$Ind1$t")! + 1])
    }

    @Test("names sort in the ISO 9506-2 collation (AaBb…Zz$_0…9), as libIEC61850 lists them")
    func collation() {
        let sorted = ["Q0XCBR1", "QA1XCBR1", "MMXU1$MX$PPV", "MMXU1$MX$PhV", "GGIO1$ST", "GGIO1", "GGIO10", "Oper$T", "Oper$ctlNum", "Oper$Test"]
            .sorted(by: MMSNamespace.mmsOrder)
        #expect(sorted == ["GGIO1", "GGIO1$ST", "GGIO10", "MMXU1$MX$PhV", "MMXU1$MX$PPV", "Oper$ctlNum", "Oper$T", "Oper$Test", "QA1XCBR1", "Q0XCBR1"])
    }

    @Test("getNameList pages with moreFollows when the PDU size is small")
    func paging() throws {
        let small = try InMemoryAssociation()
        _ = try small.send(ClientFrames.connectionRequest)
        _ = try small.send(
            ClientFrames.connect(
                initiate: hexBuffer("A8 25 80 02 01 2C 81 01 05 82 01 05 83 01 0A A4 16 80 01 01 81 03 05 F1 00 82 0C 03 EE 1C 00 00 00 02 00 00 40 FD 18")))
        var all: [String] = []
        var continueAfter: String?
        var pages = 0
        repeat {
            let page = try nameListNames(
                small.exchange(ClientFrames.getNameList(Int64(pages + 1), objectClass: 0, domain: "IED1LD0", continueAfter: continueAfter)))
            all += page.names
            continueAfter = page.moreFollows ? page.names.last : nil
            pages += 1
        } while continueAfter != nil && pages < 50
        #expect(pages > 1)
        let full = try nameListNames(association.exchange(ClientFrames.getNameList(1, objectClass: 0, domain: "IED1LD0")))
        #expect(all == full.names)
    }

    @Test("reads of an LN, an FC, a leaf, an array element and a missing name")
    func reads() throws {
        #expect(
            try association.exchange(ClientFrames.read(1, domain: "IED1LD0", item: "GGIO1$MX$AnIn1$mag$f")).hexDump
                == "A1 0E 02 01 01 A4 09 A1 07 87 05 08 3F C0 00 00")
        let fc = try association.exchange(ClientFrames.read(2, domain: "IED1LD0", item: "GGIO1$MX"))
        #expect(fc.readableBytesView.starts(with: hexBytes("A1")))
        #expect(hex(fc.readableBytesView).contains("87 05 08 3F C0 00 00"))
        // Arr.vals(2) via alternate access index 2.
        let element = try association.exchange(
            ClientFrames.read(3, domain: "IED1LD0", item: "GGIO1$SP$Arr$vals", alternateAccess: [0xA5, 0x03, 0x82, 0x01, 0x02]))
        #expect(element.hexDump == "A1 0A 02 01 03 A4 05 A1 03 85 01 2A")
        // AnIn1 with alternate access component "mag": the AnalogueValue structure {f}.
        let component = try association.exchange(
            ClientFrames.read(6, domain: "IED1LD0", item: "GGIO1$MX$AnIn1", alternateAccess: hexBytes("A5 05 81 03 6D 61 67")))
        #expect(component.hexDump == "A1 10 02 01 06 A4 0B A1 09 A2 07 87 05 08 3F C0 00 00")
        // Elements 1…2 of Arr.vals as an array.
        let range = try association.exchange(
            ClientFrames.read(7, domain: "IED1LD0", item: "GGIO1$SP$Arr$vals", alternateAccess: hexBytes("A5 08 A3 06 80 01 01 81 01 02")))
        #expect(range.hexDump == "A1 0F 02 01 07 A4 0A A1 08 A1 06 85 01 00 85 01 2A")
        let missing = try association.exchange(ClientFrames.read(4, domain: "IED1LD0", item: "GGIO1$ST$Nope"))
        #expect(missing.hexDump == "A1 0A 02 01 04 A4 05 A1 03 80 01 0A")
        let wrongDomain = try association.exchange(ClientFrames.read(5, domain: "NOPE", item: "GGIO1$ST"))
        #expect(wrongDomain.hexDump == "A1 0A 02 01 05 A4 05 A1 03 80 01 0A")
    }

    @Test("writes: SP accepted and stored, ST and MX denied, a wrong type refused")
    func writes() throws {
        #expect(
            try association.exchange(ClientFrames.write(1, domain: "IED1LD0", item: "GGIO1$SP$IntSet$setVal", value: .integer(-5))).hexDump
                == "A1 07 02 01 01 A5 02 81 00")
        #expect(
            try association.exchange(ClientFrames.read(2, domain: "IED1LD0", item: "GGIO1$SP$IntSet$setVal")).hexDump == "A1 0A 02 01 02 A4 05 A1 03 85 01 FB")
        #expect(
            try association.exchange(ClientFrames.write(3, domain: "IED1LD0", item: "GGIO1$ST$Ind1$stVal", value: .boolean(true))).hexDump
                == "A1 08 02 01 03 A5 03 80 01 03")
        #expect(
            try association.exchange(ClientFrames.write(4, domain: "IED1LD0", item: "GGIO1$MX$AnIn1$mag$f", value: .float32(2))).hexDump
                == "A1 08 02 01 04 A5 03 80 01 03")
        #expect(
            try association.exchange(ClientFrames.write(5, domain: "IED1LD0", item: "GGIO1$SP$IntSet$setVal", value: .visibleString("x"))).hexDump
                == "A1 08 02 01 05 A5 03 80 01 07")
        #expect(
            try association.exchange(ClientFrames.write(6, domain: "IED1LD0", item: "GGIO1$SP$IntSet$setVal", value: .integer(1 << 40))).hexDump
                == "A1 08 02 01 06 A5 03 80 01 0B")
    }

    @Test("a write access handler sees the client and may refuse with a reason")
    func writeHandler() throws {
        let handle = try #require(association.backend.model.handle(for: "LD0/GGIO1.IntSet.setVal"))
        let seen = NIOLockedValueBox<[WriteAccess]>([])
        association.backend.services.writeHandlers.withLock {
            $0[handle.slot] = (
                handle,
                { access in
                    seen.withLockedValue { $0.append(access) }
                    return access.newValue == .integer(13) ? .deny(.objectValueInvalid) : .accept
                }
            )
        }
        #expect(
            try association.exchange(ClientFrames.write(1, domain: "IED1LD0", item: "GGIO1$SP$IntSet$setVal", value: .integer(13))).hexDump
                == "A1 08 02 01 01 A5 03 80 01 0B")
        #expect(association.backend.store[handle.slot] == .integer(7))
        #expect(
            try association.exchange(ClientFrames.write(2, domain: "IED1LD0", item: "GGIO1$SP$IntSet", value: .structure([.integer(12)]))).hexDump
                == "A1 07 02 01 02 A5 02 81 00")
        #expect(association.backend.store[handle.slot] == .integer(12))
        let accesses = seen.withLockedValue { $0 }
        #expect(accesses.map(\.connection.peerAddress) == ["127.0.0.1:5000", "127.0.0.1:5000"])
        #expect(accesses.last?.currentValue == .integer(7))
        #expect(accesses.first?.attribute.reference == "LD0/GGIO1.IntSet.setVal")
    }

    @Test("getVariableAccessAttributes describes the type as libIEC61850 does")
    func typeDescription() throws {
        let response = try association.exchange(
            ClientFrames.request(1) { body in
                body.writeBERElement(.contextConstructed(6)) { request in
                    request.writeBERElement(.contextConstructed(0)) {
                        ObjectName.domainSpecific(domain: "IED1LD0", item: "GGIO1$MX$AnIn1$mag").encode(into: &$0)
                    }
                }
            })
        #expect(response.hexDump == "A1 1D 02 01 01 A6 18 80 01 00 A2 13 A2 11 A1 0F 30 0D 80 01 66 A1 08 A7 06 02 01 20 02 01 08")
    }

    @Test("a read whose answer would pass the negotiated PDU size gets service error pdu-size")
    func pduSize() throws {
        let many = ClientFrames.request(9) { body in
            body.writeBERElement(.contextConstructed(4)) { read in
                read.writeBERElement(.contextConstructed(1)) {
                    VariableAccessSpecification.listOfVariable(
                        Array(repeating: VariableSpecification(name: .domainSpecific(domain: "IED1LD0", item: "GGIO1")), count: 2000)
                    ).encode(into: &$0)
                }
            }
        }
        // A2 { 80 invokeID, A2 { A0 { 84 01 03 } } }: class service (4), code pdu-size (3).
        #expect(try association.exchange(many).hexDump == "A2 0A 80 01 09 A2 05 A0 03 84 01 03")
    }

    @Test("while the peer does not take our answers, reading stops; it resumes when the answers drain")
    func backpressure() throws {
        var two = ClientFrames.read(1, domain: "IED1LD0", item: "LLN0$ST$Mod$stVal")
        var second = ClientFrames.read(2, domain: "IED1LD0", item: "LLN0$ST$Mod$stVal")
        two.writeBuffer(&second)
        association.channel.isWritable = false
        #expect(try association.send(two).count == 1)  // the first answer; the second request waits
        association.channel.isWritable = true
        association.channel.pipeline.fireChannelWritabilityChanged()
        var pending = ByteBuffer()
        while var chunk = try association.channel.readOutbound(as: ByteBuffer.self) { pending.writeBuffer(&chunk) }
        let frame = try #require(try TPKTFrameDecoder.readFrame(from: &pending))
        #expect(try InMemoryAssociation.mmsPDU(of: frame).hexDump == "A1 0A 02 01 02 A4 05 A1 03 85 01 01")
    }

    @Test("an unknown service is rejected and the association carries on")
    func unknownService() throws {
        #expect(try association.exchange(ClientFrames.data(hexBuffer("A0 06 02 01 07 BF 63 00"))).hexDump == "A4 06 80 01 07 81 01 01")
        #expect(try association.exchange(ClientFrames.data(hexBuffer("FF FF FF"))).hexDump == "A4 03 85 01 01")
        #expect(try association.exchange(ClientFrames.read(8, domain: "IED1LD0", item: "LLN0$ST$Mod$stVal")).hexDump == "A1 0A 02 01 08 A4 05 A1 03 85 01 01")
    }

    func nameListNames(_ response: ByteBuffer) throws -> (names: [String], moreFollows: Bool) {
        var reader = BERReader(response)
        var pdu = try reader.readElement(.contextConstructed(1)).children
        _ = try pdu.readElement(.integer)
        var body = try pdu.readElement(.contextConstructed(1)).children
        var list = try body.readElement(.contextConstructed(0)).children
        var names: [String] = []
        while !list.isAtEnd { names.append(try list.readElement(.visibleString).stringValue) }
        let more = try body.readOptional(.context(1))?.booleanValue() ?? true
        return (names, more)
    }
}

@Suite("Malformed input at every layer closes or refuses cleanly")
struct MalformedInputTests {
    @Test(
        "bad transport or session input closes the connection",
        arguments: [
            "47 45 54 20 2F 20 48 54 54 50", "03 00 00 05 00", "03 00 00 08 02 F0 80 01", "03 00 00 0B 09 E0 00 00 00 01 00",
            "03 00 00 16 11 E0 0000 0001 40 C0 01 0D C2 02 00 01 C1 02 00 01",
        ])
    func transport(bytes: String) throws {
        let association = try InMemoryAssociation()
        do { _ = try association.send(hexBuffer(bytes)) } catch { /* the decoder's error closes the channel */  }
        #expect(!association.channel.isActive)
    }

    @Test("a CONNECT with garbage instead of a CP-type gets a disconnect", arguments: ["0D 04 C1 02 30 00", "0D 03 C1 01 31", "0E 00", "19 00"])
    func session(spdu: String) throws {
        let association = try InMemoryAssociation()
        _ = try association.send(ClientFrames.connectionRequest)
        _ = try association.send(ClientFrames.frame(hexBuffer(spdu)))
        #expect(!association.channel.isActive)
    }

    @Test("an oversized TPKT frame closes the connection")
    func oversized() throws {
        let association = try InMemoryAssociation()
        do { _ = try association.send(hexBuffer("03 00 FF FF 02 F0 80")) } catch {}
        #expect(throws: Never.self) { try association.channel.finish(acceptAlreadyClosed: true) }
    }

    @Test("a connection that has not associated within the establishment timeout is closed; an associated one stays")
    func establishmentTimeout() throws {
        var configuration = IedServerConfiguration()
        configuration.associationTimeout = .seconds(10)
        let silent = try InMemoryAssociation(configuration: configuration)
        silent.channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(silent.channel.isActive)
        silent.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!silent.channel.isActive)

        // Half-way (transport connected, no AARQ) counts as not associated.
        let halfway = try InMemoryAssociation(configuration: configuration)
        _ = try halfway.send(ClientFrames.connectionRequest)
        halfway.channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        #expect(!halfway.channel.isActive)

        let associated = try InMemoryAssociation(configuration: configuration)
        try associated.associate()
        associated.channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(associated.channel.isActive)
    }
}

@Suite("Start-up warnings")
struct ExposureWarningTests {
    @Test("controls or settings without authentication on a non-loopback address are warned of; loopback or a password are not")
    func exposure() {
        var configuration = IedServerConfiguration()
        configuration.bindAddress = "0.0.0.0"
        let warning = IedServer.exposureWarning(configuration, controllableObjects: 3)
        #expect(warning?.contains("3 controllable objects and settings (FC SE, SP, SV) on 0.0.0.0 without authentication") == true)
        configuration.bindAddress = "127.0.0.1"
        #expect(IedServer.exposureWarning(configuration, controllableObjects: 3) == nil)
        configuration.bindAddress = "10.1.2.3"
        configuration.authenticator = .password("secret")
        #expect(IedServer.exposureWarning(configuration, controllableObjects: 3) == nil)
        configuration.authenticator = .none
        configuration.writableFunctionalConstraints = []
        #expect(IedServer.exposureWarning(configuration, controllableObjects: 0) == nil)
    }
}
