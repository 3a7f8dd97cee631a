import NIOCore
import TestSupport
import Testing

@testable import OSIUpperLayers

/// The association state machine as a value: frames in, actions out, no channel and no clock.
@Suite("Association state machine")
struct AssociationStateMachineTests {
    let allocator = ByteBufferAllocator()

    /// The client's CR and CN TPDUs (what the TPKT decoder hands over: without the TPKT header).
    func frames() throws -> (cr: ByteBuffer, cn: ByteBuffer) {
        let pdus = try capturedPDUs("libiec61850-client.txt").filter(\.clientToServer)
        let cr = try #require(pdus.first { $0.bytes.count > 5 && $0.bytes[5] == 0xE0 })  // COTP CR
        let cn = try #require(pdus.first { $0.summary == "initiate-RequestPDU" })
        return (ByteBuffer(bytes: cr.bytes.dropFirst(4)), ByteBuffer(bytes: cn.bytes.dropFirst(4)))
    }

    @Test("CR gets a CC, the connect becomes a decision, and accepting it sends the AC and associates")
    func associate() throws {
        var machine = AssociationStateMachine(maximumTPDUSizeExponent: 13, maximumTSDUSize: 70_000)
        let (cr, cn) = try frames()
        guard case .send(let cc) = machine.frameReceived(cr, allocator: allocator) else { Issue.record("no CC"); return }
        #expect(cc.getInteger(at: 5, as: UInt8.self) == 0xD0)
        guard case .associate(let attempt) = machine.frameReceived(cn, allocator: allocator) else { Issue.record("no decision asked"); return }
        #expect(attempt.request.applicationContextName == AssociationRequest.mmsApplicationContext)
        #expect(!machine.isAssociated)
        guard case .send(let ac) = machine.accept({ $0.writeBytes([0xA9, 0x00]) }, allocator: allocator) else { Issue.record("no AC"); return }
        #expect(ac.getInteger(at: 7, as: UInt8.self) == 0x0E)  // session AC SPDU
        #expect(machine.isAssociated)
        guard case .none = machine.establishmentTimeExpired() else { Issue.record("an association was timed out"); return }
    }

    @Test("the establishment time running out closes a connection that has not associated, whatever it sent")
    func establishmentTimeout() throws {
        let (cr, cn) = try frames()
        for sent in [[], [cr], [cr, cn]] {
            var machine = AssociationStateMachine(maximumTPDUSizeExponent: 13, maximumTSDUSize: 70_000)
            for frame in sent { _ = machine.frameReceived(frame, allocator: allocator) }
            guard case .closeUnassociated = machine.establishmentTimeExpired() else { Issue.record("not closed after \(sent.count) frames"); continue }
            guard case .closed = machine.state else { Issue.record("state after the timeout: \(machine.state)"); continue }
        }
    }

    @Test("a rejected decision sends a refusal and associates nothing")
    func reject() throws {
        var machine = AssociationStateMachine(maximumTPDUSizeExponent: 13, maximumTSDUSize: 70_000)
        let (cr, cn) = try frames()
        _ = machine.frameReceived(cr, allocator: allocator)
        _ = machine.frameReceived(cn, allocator: allocator)
        switch machine.reject(.authenticationFailure, allocator: allocator) {
        case .send, .sendAndClose: break
        default: Issue.record("no refusal sent")
        }
        #expect(!machine.isAssociated)
    }
}
