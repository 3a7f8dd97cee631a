import BERCodec
import ISOTransport
import NIOCore

/// One connection's protocol state from COTP up to ACSE, as a value: frames in, actions out.
///
/// It knows the layers' rules and encodings but no policy: when a client asks to associate it hands the
/// request out (``Action/associate(_:)``) and waits for ``accept(_:allocator:)`` or ``reject(_:allocator:)``.
public struct AssociationStateMachine {
    /// What the ACSE/presentation layers agreed on at connect.
    public struct Contexts: Sendable, Equatable {
        public var acse: Int64
        public var mms: Int64
    }

    /// A client's association request, decoded.
    public struct Attempt: Sendable {
        public var session: SessionConnectParameters
        public var presentation: PresentationConnect
        public var contexts: Contexts
        public var request: AssociationRequest
    }

    public enum State {
        case awaitingTransport
        case awaitingConnect
        case awaitingDecision(Attempt)
        case associated(Contexts)
        case closed
    }

    public enum Action {
        case none
        case send(ByteBuffer)
        case sendAndClose(ByteBuffer)
        case close
        /// Close: the connection did not associate in time.
        case closeUnassociated
        /// Decide whether to admit this association.
        case associate(Attempt)
        /// An MMS PDU arrived in the data phase.
        case mms(ByteBuffer)
    }

    public private(set) var state: State = .awaitingTransport
    public private(set) var transport: COTPConnection

    public init(maximumTPDUSizeExponent: UInt8, maximumTSDUSize: Int) {
        transport = COTPConnection(maximumTPDUSizeExponent: maximumTPDUSizeExponent, maximumTSDUSize: maximumTSDUSize)
    }

    public var isAssociated: Bool {
        if case .associated = state { return true }
        return false
    }

    /// The time allowed from connect to an accepted association has passed.
    public mutating func establishmentTimeExpired() -> Action {
        switch state {
        case .associated, .closed: return .none
        case .awaitingTransport, .awaitingConnect, .awaitingDecision:
            state = .closed
            return .closeUnassociated
        }
    }

    /// A TPKT frame's TPDU arrived.
    public mutating func frameReceived(_ frame: ByteBuffer, allocator: ByteBufferAllocator) -> Action {
        if case .closed = state { return .none }
        switch transport.tpduReceived(frame, allocator: allocator) {
        case .none: return .none
        case .send(let bytes):
            if case .awaitingTransport = state { state = .awaitingConnect }
            return .send(bytes)
        case .close(let bytes):
            state = .closed
            return bytes.map(Action.sendAndClose) ?? .close
        case .deliver(let tsdu):
            return tsduReceived(tsdu, allocator: allocator)
        }
    }

    private mutating func tsduReceived(_ tsdu: ByteBuffer, allocator: ByteBufferAllocator) -> Action {
        let spdu: SessionPDU
        do {
            spdu = try SessionPDU.parse(tsdu)
        } catch {
            return closeWithDisconnect(allocator: allocator)
        }
        // The data phase first, without copying the state and the SPDU into a tuple.
        if case .associated(let contexts) = state, case .data(let userData) = spdu {
            let pdu: ByteBuffer?
            do {
                pdu = try PresentationConnect.dataValue(ofContext: contexts.mms, in: userData)
            } catch {
                return abort(contexts, allocator: allocator)
            }
            // User data of another context is ignored, as libIEC61850 does.
            return pdu.map(Action.mms) ?? .none
        }
        switch (state, spdu) {
        case (.awaitingConnect, .connect(let session, let userData)):
            do {
                let presentation = try PresentationConnect.parse(userData)
                // Both contexts must be proposed with BER; without them there is no association to make.
                let usable = presentation.contexts.filter { $0.transferSyntaxes.contains(PresentationContext.berTransferSyntax) }
                guard let acse = usable.first(where: { $0.abstractSyntax == PresentationContext.acseAbstractSyntax })?.identifier,
                    let mms = usable.first(where: { $0.abstractSyntax == PresentationContext.mmsAbstractSyntax })?.identifier,
                    let pdv = presentation.userData.first(where: { $0.contextIdentifier == acse })
                else { return closeWithDisconnect(allocator: allocator) }
                let request = try AssociationRequest.parse(pdv.data)
                let attempt = Attempt(session: session, presentation: presentation, contexts: Contexts(acse: acse, mms: mms), request: request)
                state = .awaitingDecision(attempt)
                return .associate(attempt)
            } catch {
                return closeWithDisconnect(allocator: allocator)
            }
        case (.associated(let contexts), .finish(let userData)):
            guard let values = try? PresentationConnect.parseUserData(userData),
                let pdv = values.first(where: { $0.contextIdentifier == contexts.acse }),
                (try? ACSEReleasePDU.parse(pdv.data)) == .releaseRequest
            else { return abort(contexts, allocator: allocator) }
            var rlre = allocator.buffer(capacity: 8)
            ACSEEncoder.writeReleaseResponse(into: &rlre)
            var presentation = allocator.buffer(capacity: 24)
            PresentationEncoder.writeFullyEncoded(PresentationDataValue(contextIdentifier: contexts.acse, data: rlre), into: &presentation)
            var spdu = allocator.buffer(capacity: 32)
            SessionEncoder.writeDisconnect(userData: presentation, into: &spdu)
            state = .closed
            return .sendAndClose(segment(spdu, allocator: allocator))
        case (_, .abort):
            state = .closed
            return .close
        default:
            return closeWithDisconnect(allocator: allocator)
        }
    }

    /// Admits the association: AC + CPA + AARE carrying the initiate response that `initiate` writes.
    public mutating func accept(_ initiate: @escaping (inout ByteBuffer) -> Void, allocator: ByteBufferAllocator) -> Action {
        guard case .awaitingDecision(let attempt) = state else { return .none }
        state = .associated(attempt.contexts)
        return .send(connectResponse(attempt, result: .accepted, userInformation: initiate, allocator: allocator))
    }

    /// Refuses the association with an AARE carrying `result`, then closes.
    public mutating func reject(_ result: AssociationResult, initiateError: ((inout ByteBuffer) -> Void)? = nil, allocator: ByteBufferAllocator) -> Action {
        guard case .awaitingDecision(let attempt) = state else { return .none }
        state = .closed
        return .sendAndClose(connectResponse(attempt, result: result, userInformation: initiateError, allocator: allocator))
    }

    private func connectResponse(
        _ attempt: Attempt, result: AssociationResult, userInformation: ((inout ByteBuffer) -> Void)?, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var aare = allocator.buffer(capacity: 128)
        ACSEEncoder.writeAssociationResponse(result: result, mmsContextIdentifier: attempt.contexts.mms, into: &aare, userInformation: userInformation)
        let results = attempt.presentation.contexts.map { context -> PresentationEncoder.ContextResult in
            // ISO 8823 provider reasons: 1 abstract syntax not supported, 2 proposed transfer syntaxes not supported.
            let known = context.abstractSyntax == PresentationContext.acseAbstractSyntax || context.abstractSyntax == PresentationContext.mmsAbstractSyntax
            guard known else { return .providerRejection(reason: 1) }
            return context.transferSyntaxes.contains(PresentationContext.berTransferSyntax) ? .acceptance : .providerRejection(reason: 2)
        }
        var cpa = allocator.buffer(capacity: 192)
        PresentationEncoder.writeAccept(
            respondingSelector: attempt.presentation.calledSelector, results: results,
            userData: PresentationDataValue(contextIdentifier: attempt.contexts.acse, data: aare), into: &cpa)
        var spdu = allocator.buffer(capacity: 224)
        SessionEncoder.writeAccept(attempt.session, userData: cpa, into: &spdu)
        return segment(spdu, allocator: allocator)
    }

    /// Writes one data-phase MMS PDU, framed down to TPKT, whose body `body` writes in place.
    ///
    /// The common case (the TSDU fits one TPDU) costs no copy; a longer TSDU is segmented into DTs.
    public func writeMMS(into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void) {
        guard case .associated(let contexts) = state else { return }
        transport.writeTSDU(into: &buffer) { tsdu in
            tsdu.writeInteger(SessionEncoder.dataPrefix)
            PresentationEncoder.writeFullyEncoded(contextIdentifier: contexts.mms, into: &tsdu, body)
        }
    }

    /// Aborts the association (AB with an ACSE ABRT) and closes.
    public mutating func abortAssociation(allocator: ByteBufferAllocator) -> Action {
        guard case .associated(let contexts) = state else {
            state = .closed
            return .close
        }
        return abort(contexts, allocator: allocator)
    }

    private mutating func abort(_ contexts: Contexts, allocator: ByteBufferAllocator) -> Action {
        var abrt = allocator.buffer(capacity: 8)
        ACSEEncoder.writeAbort(into: &abrt)
        var presentation = allocator.buffer(capacity: 24)
        PresentationEncoder.writeAbort(userData: PresentationDataValue(contextIdentifier: contexts.acse, data: abrt), into: &presentation)
        var spdu = allocator.buffer(capacity: 32)
        SessionEncoder.writeAbort(userData: presentation, into: &spdu)
        state = .closed
        return .sendAndClose(segment(spdu, allocator: allocator))
    }

    private mutating func closeWithDisconnect(allocator: ByteBufferAllocator) -> Action {
        state = .closed
        switch transport.disconnect(allocator: allocator) {
        case .close(let bytes?): return .sendAndClose(bytes)
        default: return .close
        }
    }

    private func segment(_ tsdu: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: tsdu.readableBytes + 16)
        transport.segment(tsdu, into: &out)
        return out
    }
}
