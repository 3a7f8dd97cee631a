import NIOCore

/// The server side of a class 0 COTP connection, as a value: TPDUs in, actions out.
///
/// It answers CR with CC (negotiating the TPDU size and echoing the TSAPs), reassembles DT segments
/// into TSDUs, and segments outbound TSDUs into DTs of at most the negotiated size.
public struct COTPConnection: Sendable {
    public enum State: Sendable, Equatable {
        case awaitingConnectionRequest
        case connected
        case closed
    }

    /// What the caller must do after an input.
    public enum Action: Sendable, Equatable {
        case none
        /// Send these TPDUs, TPKT framing included.
        case send(ByteBuffer)
        /// A whole TSDU arrived.
        case deliver(ByteBuffer)
        /// Close the TCP connection (after sending `ByteBuffer` if present).
        case close(ByteBuffer?)
    }

    public private(set) var state: State = .awaitingConnectionRequest
    /// Negotiated maximum TPDU size in octets (COTP header included).
    public private(set) var tpduSize: Int = 128
    /// The server's own largest TPDU size exponent (2^13 = 8192, libIEC61850's choice; 2^15 at most, as a
    /// 2^16-octet TPDU would not fit a TPKT frame).
    public let maximumTPDUSizeExponent: UInt8
    /// The largest TSDU reassembled from DT segments.
    public let maximumTSDUSize: Int
    private var peerReference: UInt16 = 0
    private let localReference: UInt16
    private var reassembly: ByteBuffer?

    public init(maximumTPDUSizeExponent: UInt8 = 13, maximumTSDUSize: Int = 65_536, localReference: UInt16 = 1) {
        self.maximumTPDUSizeExponent = min(max(maximumTPDUSizeExponent, 7), 15)
        self.maximumTSDUSize = maximumTSDUSize
        self.localReference = localReference
    }

    /// Handles one TPDU (a TPKT frame's content).
    public mutating func tpduReceived(_ tpdu: ByteBuffer, allocator: ByteBufferAllocator) -> Action {
        let pdu: COTPPDU
        do {
            pdu = try COTPPDU.parse(tpdu)
        } catch {
            return protocolError(allocator: allocator)
        }
        switch (state, pdu) {
        case (.awaitingConnectionRequest, .connectionRequest(let request)):
            let requested = request.tpduSizeExponent ?? 7
            let exponent = min(max(requested, 7), maximumTPDUSizeExponent)
            tpduSize = 1 << Int(exponent)
            peerReference = request.sourceReference
            state = .connected
            let confirm = COTPConnectionParameters(
                destinationReference: request.sourceReference, sourceReference: localReference,
                tpduSizeExponent: exponent, callingTSAP: request.callingTSAP, calledTSAP: request.calledTSAP)
            var out = allocator.buffer(capacity: 32)
            COTPPDU.connectionConfirm(confirm).write(to: &out)
            return .send(out)
        case (.connected, .data(let endOfTSDU, var payload)):
            // A DT larger than the negotiated size is accepted: the TPKT frame limit bounds it, and
            // refusing it would only break clients that get the size wrong.
            if var partial = reassembly {
                guard partial.readableBytes + payload.readableBytes <= maximumTSDUSize else {
                    reassembly = nil
                    return protocolError(allocator: allocator)
                }
                partial.writeBuffer(&payload)
                if endOfTSDU {
                    reassembly = nil
                    return .deliver(partial)
                }
                reassembly = partial
                return .none
            }
            if endOfTSDU { return .deliver(payload) }
            var partial = allocator.buffer(capacity: min(maximumTSDUSize, payload.readableBytes * 4))
            partial.writeBuffer(&payload)
            reassembly = partial
            return .none
        case (_, .disconnectRequest), (_, .error):
            state = .closed
            return .close(nil)
        default:
            return protocolError(allocator: allocator)
        }
    }

    /// Writes a TSDU that `body` writes in place, TPKT-framed in DT TPDUs: one frame, with no copy, when it
    /// fits the negotiated TPDU size (the common case), else segmented as ``segment(_:into:)`` does.
    public func writeTSDU(into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void) {
        let frameStart = buffer.writerIndex
        // TPKT (its length set once the body is written) and DT (length indicator, code, EOT with TPDU-NR 0).
        buffer.writeMultipleIntegers(UInt8(3), UInt8(0), UInt16(0), UInt8(2), COTPPDU.dtCode, UInt8(0x80))
        body(&buffer)
        let frameLength = buffer.writerIndex - frameStart
        if frameLength - 4 <= tpduSize {
            buffer.setInteger(UInt16(frameLength), at: frameStart + 2)
            return
        }
        let tsdu = buffer.getSlice(at: frameStart + 7, length: frameLength - 7)!
        buffer.moveWriterIndex(to: frameStart)
        segment(tsdu, into: &buffer)
    }

    /// Segments a TSDU into DT TPDUs of at most the negotiated size.
    public func segment(_ tsdu: ByteBuffer, into out: inout ByteBuffer) {
        let maximumPayload = tpduSize - 3
        var remaining = tsdu
        repeat {
            let count = min(maximumPayload, remaining.readableBytes)
            let slice = remaining.readSlice(length: count)!
            COTPPDU.data(endOfTSDU: remaining.readableBytes == 0, payload: slice).write(to: &out)
        } while remaining.readableBytes > 0
    }

    /// Ends the connection with a DR (reason 0, normal) as class 0 allows.
    public mutating func disconnect(allocator: ByteBufferAllocator) -> Action {
        guard state == .connected else {
            state = .closed
            return .close(nil)
        }
        state = .closed
        var out = allocator.buffer(capacity: 11)
        COTPPDU.disconnectRequest(destinationReference: peerReference, sourceReference: localReference, reason: 0)
            .write(to: &out)
        return .close(out)
    }

    private mutating func protocolError(allocator: ByteBufferAllocator) -> Action {
        let wasConnected = state == .connected
        state = .closed
        guard wasConnected else { return .close(nil) }
        // DR with reason 0 (class 0 has no error TPDU for the data phase worth sending).
        var out = allocator.buffer(capacity: 11)
        COTPPDU.disconnectRequest(destinationReference: peerReference, sourceReference: localReference, reason: 0)
            .write(to: &out)
        return .close(out)
    }
}
