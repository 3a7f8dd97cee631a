import BERCodec
import NIOCore
import OSIUpperLayers
import TestSupport
import Testing

/// The CN of the walk-through in PROTOCOL.md §1.6 (after TPKT and COTP).
let walkThroughConnect = """
    0D 95 05 06 13 01 00 16 01 02 14 02 00 02 33 02 00 01 34 02 00 01 C1 7F
    31 7D A0 03 80 01 01 A2 76 81 04 00000001 82 04 00000001
    A4 23 30 0F 02 01 01 06 04 52 01 00 01 30 04 06 02 51 01
    30 10 02 01 03 06 05 28 CA 22 02 01 30 04 06 02 51 01
    61 43 30 41 02 01 01 A0 3C
    60 3A A1 07 06 05 28 CA 22 02 03
    BE 2F 28 2D 02 01 03 A0 28
    A8 26 80 03 00 FD E8 81 01 05 82 01 05 83 01 0A
    A4 16 80 01 01 81 03 05 F1 00 82 0C 03 EE 1C 00 00 00 02 00 00 40 FD 18
    """

@Suite("Session, presentation and ACSE")
struct UpperLayersTests {
    @Test("the walk-through CONNECT decodes down to the MMS initiate request")
    func walkThrough() throws {
        guard case .connect(let session, let userData) = try SessionPDU.parse(hexBuffer(walkThroughConnect)) else {
            Issue.record("not a CONNECT")
            return
        }
        #expect(session.callingSSEL == [0, 1])
        #expect(session.calledSSEL == [0, 1])
        let presentation = try PresentationConnect.parse(userData)
        #expect(presentation.contexts.map(\.identifier) == [1, 3])
        #expect(presentation.contexts[1].abstractSyntax == PresentationContext.mmsAbstractSyntax)
        #expect(presentation.calledSelector == [0, 0, 0, 1])
        let aarq = try AssociationRequest.parse(presentation.userData[0].data)
        #expect(aarq.applicationContextName == AssociationRequest.mmsApplicationContext)
        #expect(aarq.userInformationContext == 3)
        #expect(aarq.userInformation?.readableBytesView.first == 0xA8)
        #expect(aarq.authenticationValue == nil)
    }

    @Test("the libIEC61850 client's CONNECT with AP titles and AE qualifiers decodes")
    func libiec61850Connect() throws {
        let connect = try #require(try capturedPDUs("libiec61850-client.txt").first { $0.summary == "initiate-RequestPDU" })
        guard case .connect(_, let userData) = try SessionPDU.parse(ByteBuffer(bytes: connect.bytes.dropFirst(7))) else {
            Issue.record("not a CONNECT")
            return
        }
        let presentation = try PresentationConnect.parse(userData)
        let aarq = try AssociationRequest.parse(presentation.userData[0].data)
        #expect(aarq.callingAPTitle == [0x29, 0x01, 0x87, 0x67])
        #expect(aarq.callingAEQualifier == 12)
        #expect(aarq.calledAEQualifier == 12)
    }

    @Test("an AARQ with the password mechanism yields the password; the captured one without has none")
    func passwords() throws {
        let captured = try #require(try capturedPDUs("auth-password.txt").first { $0.clientToServer && $0.summary == "initiate-RequestPDU" })
        guard case .connect(_, let userData) = try SessionPDU.parse(ByteBuffer(bytes: captured.bytes.dropFirst(7))) else {
            Issue.record("not a CONNECT")
            return
        }
        let plain = try AssociationRequest.parse(PresentationConnect.parse(userData).userData[0].data)
        #expect(plain.authenticationValue == nil)
        #expect(plain.mechanismName == nil)
        // As libIEC61850 encodes it: sender-acse-requirements, mechanism 2.2.3.1, charstring password.
        let aarq = try AssociationRequest.parse(
            hexBuffer("60 1C A1 07 06 05 28 CA 22 02 03 8A 02 04 80 8B 03 52 03 01 AC 08 80 06 73 65 63 72 65 74"))
        #expect(aarq.mechanismName == AssociationRequest.passwordMechanism)
        #expect(aarq.authenticationValue.map { String(decoding: $0, as: UTF8.self) } == "secret")
    }

    @Test("the long session length form is accepted")
    func longLength() throws {
        var tsdu = ByteBuffer(bytes: [0x09, 0xFF, 0x00, 0x10])
        tsdu.writeBytes(hexBytes("C1 0E 61 0C 30 0A 02 01 01 A0 05 62 03 80 01 00"))
        guard case .finish(let userData) = try SessionPDU.parse(tsdu) else {
            Issue.record("not a FINISH")
            return
        }
        let values = try PresentationConnect.parseUserData(userData)
        #expect(try ACSEReleasePDU.parse(values[0].data) == .releaseRequest)
    }

    @Test("the data phase prefix GT+DT yields the presentation data")
    func dataPhase() throws {
        let tsdu = hexBuffer("01 00 01 00 61 09 30 07 02 01 03 A0 02 8B 00")
        guard case .data(let userData) = try SessionPDU.parse(tsdu) else {
            Issue.record("not data")
            return
        }
        let values = try PresentationConnect.parseUserData(userData)
        #expect(values == [PresentationDataValue(contextIdentifier: 3, data: hexBuffer("8B 00"))])
    }

    @Test("malformed SPDUs are refused", arguments: ["", "0D", "0D 05 C1 10 00", "01 00 02 00", "63 00", "0D 02 14 02"])
    func malformed(bytes: String) {
        #expect(throws: (any Error).self) { try SessionPDU.parse(hexBuffer(bytes)) }
    }

    @Test("the release response matches the walk-through")
    func releaseResponse() {
        var rlre = ByteBuffer()
        ACSEEncoder.writeReleaseResponse(into: &rlre)
        var presentation = ByteBuffer()
        PresentationEncoder.writeFullyEncoded(PresentationDataValue(contextIdentifier: 1, data: rlre), into: &presentation)
        var spdu = ByteBuffer()
        SessionEncoder.writeDisconnect(userData: presentation, into: &spdu)
        #expect(spdu.hexDump == hex(hexBytes("0A 10 C1 0E 61 0C 30 0A 02 01 01 A0 05 63 03 80 01 00")))
    }
}
