import BERCodec
import MMS
import NIOCore
import TestSupport
import Testing

@Suite("MMS PDUs")
struct MMSPDUTests {
    @Test("the walk-through read request decodes")
    func readRequest() throws {
        let pdu = try MMSRequestPDU.decode(
            hexBuffer("A0 2B 02 01 01 A4 26 A1 24 A0 22 30 20 A0 1E A1 1C 1A 07 49 45 44 31 4C 44 30 1A 11 4C 4C 4E 30 24 53 54 24 4D 6F 64 24 73 74 56 61 6C"))
        #expect(
            pdu
                == .confirmedRequest(
                    invokeID: 1,
                    .read(
                        specificationWithResult: false,
                        .listOfVariable([VariableSpecification(name: .domainSpecific(domain: "IED1LD0", item: "LLN0$ST$Mod$stVal"))]))))
    }

    @Test("every client request in the captures decodes")
    func capturedRequests() throws {
        for file in ["libiec61850-client.txt", "rust-client.txt"] {
            for pdu in try capturedPDUs(file) where pdu.clientToServer && pdu.summary.contains("confirmed-RequestPDU") {
                let decoded = try MMSRequestPDU.decode(mmsPayload(of: pdu))
                guard case .confirmedRequest(_, let service) = decoded else {
                    Issue.record("\(file) \(pdu.summary): decoded as \(decoded)")
                    continue
                }
                if case .unsupported = service { Issue.record("\(file) \(pdu.summary): unsupported service") }
            }
        }
    }

    @Test("a write of an Oper structure decodes its data")
    func writeRequest() throws {
        let write = try #require(try capturedPDUs("rust-client.txt").first { $0.summary.hasSuffix("GGIO1$CO$SPCSO1$Oper") })
        let pdu = try MMSRequestPDU.decode(mmsPayload(of: write))
        guard case .confirmedRequest(26, .write(_, let data)) = pdu, case .structure(let fields)? = data.first else {
            Issue.record("decoded as \(pdu)")
            return
        }
        #expect(fields.count == 6)
        #expect(fields[0] == .boolean(true))
        #expect(fields[5] == .bitString(MMSBitString(bytes: [0x00], bitCount: 2)))
    }

    @Test("an unknown service gets reject unrecognized-service with its invoke id")
    func unknownService() {
        #expect(throws: MMSRequestDecodeFailure(invokeID: 7, error: .unknownService(.contextConstructed(99)))) {
            try MMSRequestPDU.decode(hexBuffer("A0 06 02 01 07 BF 63 00"))
        }
        let failure = MMSRequestDecodeFailure(invokeID: 7, error: .unknownService(.contextConstructed(99)))
        var buffer = ByteBuffer()
        MMSResponseEncoder.writeReject(invokeID: failure.invokeID, reason: failure.rejectReason, into: &buffer)
        #expect(buffer.hexDump == "A4 06 80 01 07 81 01 01")
    }

    @Test("a structure nesting bomb is refused with max-recursion-exceeded")
    func nestingBomb() {
        var data = ByteBuffer()
        for _ in 0..<40 { data.writeBytes([0xA2, 0x80]) }
        data.writeBytes([0x83, 0x01, 0x00])
        for _ in 0..<40 { data.writeBytes([0x00, 0x00]) }
        var request = ByteBuffer()
        request.writeBERElement(.contextConstructed(0)) { pdu in
            pdu.writeBERInteger(.integer, 5)
            pdu.writeBERElement(.contextConstructed(5)) { write in
                VariableAccessSpecification.listOfVariable([VariableSpecification(name: .domainSpecific(domain: "D", item: "X"))]).encode(into: &write)
                write.writeBERElement(.contextConstructed(0)) { $0.writeImmutableBuffer(data) }
            }
        }
        do {
            _ = try MMSRequestPDU.decode(request)
            Issue.record("a nesting bomb decoded")
        } catch {
            #expect(error.invokeID == 5)
            #expect(error.rejectReason == .confirmedRequest(.maxRecursionExceeded) || error.rejectReason == .confirmedRequest(.invalidArgument))
        }
    }

    @Test("garbage is an invalid PDU without an invoke id", arguments: ["", "FF", "A0 05 02 01", "30 00", "A0 03 04 01 00"])
    func garbage(bytes: String) {
        do {
            _ = try MMSRequestPDU.decode(hexBuffer(bytes))
            Issue.record("decoded")
        } catch {
            #expect(error.invokeID == nil)
            #expect(error.rejectReason == .pduError(.invalidPDU))
        }
    }
}

@Suite("MMS Data")
struct MMSDataTests {
    @Test(
        "values encode as PROTOCOL.md §3 says and decode back",
        arguments: [
            (MMSData.boolean(true), "83 01 FF"), (.integer(-100), "85 01 9C"), (.unsigned(255), "86 02 00 FF"),
            (.float32(1.0), "87 05 08 3F 80 00 00"), (.float64(2.5), "87 09 0B 40 04 00 00 00 00 00 00"),
            (.bitString(MMSBitString(bytes: [0x40], bitCount: 2)), "84 02 06 40"), (.visibleString("ab"), "8A 02 61 62"),
            (.octetString([1, 2]), "89 02 01 02"), (.mmsString("Ω"), "90 02 CE A9"),
            (.utcTime([0x6B, 0x07, 0xAF, 0x07, 0x4B, 0x85, 0x1E, 0x00]), "91 08 6B 07 AF 07 4B 85 1E 00"),
            (.structure([.boolean(false), .array([.integer(1)])]), "A2 08 83 01 00 A1 03 85 01 01"),
        ])
    func roundTrip(value: MMSData, encoding: String) throws {
        var buffer = ByteBuffer()
        value.encode(into: &buffer)
        #expect(buffer.hexDump == encoding)
        var reader = BERReader(buffer)
        #expect(try MMSData.decode(reader.readElement()) == value)
    }

    @Test("the type description of a quality, a VisString129 and an FLOAT32 are as libIEC61850's")
    func typeSpecification() {
        var buffer = ByteBuffer()
        TypeSpecification.structure([
            .init(name: "q", type: .bitString(-13)), .init(name: "d", type: .visibleString(-129)),
            .init(name: "f", type: .floatingPoint(formatWidth: 32, exponentWidth: 8)),
        ]).encode(into: &buffer)
        #expect(
            buffer.hexDump
                == hex(hexBytes("A2 26 A1 24 30 08 80 01 71 A1 03 84 01 F3 30 09 80 01 64 A1 04 8A 02 FF 7F 30 0D 80 01 66 A1 08 A7 06 02 01 20 02 01 08")))
    }

    @Test("the initiate response of the walk-through encodes byte for byte")
    func initiateResponse() {
        let response = InitiateResponse(
            localDetailCalled: 65_000, maxServicesOutstandingCalling: 5, maxServicesOutstandingCalled: 5, dataStructureNestingLevel: 10,
            parameterCBB: MMSBitString(bytes: [0xF1, 0x00], bitCount: 11),
            servicesSupportedCalled: MMSBitString(bytes: hexBytes("EE 1C 00 00 00 02 00 00 40 FD 18"), bitCount: 85))
        var buffer = ByteBuffer()
        response.encode(into: &buffer)
        #expect(
            buffer.hexDump
                == hex(hexBytes("A9 26 80 03 00 FD E8 81 01 05 82 01 05 83 01 0A A4 16 80 01 01 81 03 05 F1 00 82 0C 03 EE 1C 00 00 00 02 00 00 40 FD 18")))
    }
}

/// The MMS PDU of a captured data-phase frame: after TPKT (4), COTP (3), session GT+DT (4) and the PDV header.
func mmsPayload(of pdu: CapturedPDU) throws -> ByteBuffer {
    var reader = BERReader(ByteBuffer(bytes: pdu.bytes.dropFirst(11)))
    var list = try reader.readElement().children
    var pdv = try list.readElement(.sequence).children
    _ = try pdv.readElement(.integer)
    return try pdv.readElement(.contextConstructed(0)).content
}
