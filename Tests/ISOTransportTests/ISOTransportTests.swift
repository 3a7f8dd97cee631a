import ISOTransport
import NIOCore
import TestSupport
import Testing

@Suite("TPKT framing")
struct TPKTTests {
    @Test("a frame is returned only when complete")
    func partial() throws {
        var buffer = hexBuffer("03 00 00 0A 02 F0")
        #expect(try TPKTFrameDecoder.readFrame(from: &buffer) == nil)
        buffer.writeBytes(hexBytes("80 01 02 03"))
        let frame = try TPKTFrameDecoder.readFrame(from: &buffer)
        #expect(frame?.hexDump == "02 F0 80 01 02 03")
        #expect(buffer.readableBytes == 0)
    }

    @Test("a header that is not version 3 is refused", arguments: ["04 00 00 10", "03 01 00 10", "47 45 54 20 2F"])
    func badHeader(bytes: String) {
        var buffer = hexBuffer(bytes)
        #expect(throws: TransportError.self) { try TPKTFrameDecoder.readFrame(from: &buffer) }
    }

    @Test("lengths below the minimum and above the maximum are refused")
    func badLength() {
        var tiny = hexBuffer("03 00 00 05 00")
        #expect(throws: TransportError.invalidTPKTLength(5)) { try TPKTFrameDecoder.readFrame(from: &tiny) }
        var big = hexBuffer("03 00 FF FF")
        #expect(throws: TransportError.frameTooLarge(65535, maximum: 8192)) { try TPKTFrameDecoder.readFrame(from: &big, maximumFrameSize: 8192) }
    }
}

@Suite("COTP class 0")
struct COTPTests {
    let allocator = ByteBufferAllocator()

    @Test("CR gets the CC of the walk-through (size 2^13, TSAPs echoed)")
    func connect() throws {
        var connection = COTPConnection()
        let action = connection.tpduReceived(hexBuffer("11 E0 0000 0001 00 C0 01 0D C2 02 00 01 C1 02 00 01"), allocator: allocator)
        guard case .send(let bytes) = action else {
            Issue.record("expected a CC, got \(action)")
            return
        }
        #expect(bytes.hexDump == hex(hexBytes("03 00 00 16 11 D0 0001 0001 00 C0 01 0D C2 02 00 01 C1 02 00 01")))
        #expect(connection.tpduSize == 8192)
    }

    @Test("the TPDU size is the smaller of the client's and ours")
    func negotiation() {
        var small = COTPConnection()
        _ = small.tpduReceived(hexBuffer("0D E0 0000 0001 00 C0 01 0A C2 02 00 01"), allocator: allocator)
        #expect(small.tpduSize == 1024)
        var large = COTPConnection(maximumTPDUSizeExponent: 13)
        _ = large.tpduReceived(hexBuffer("0D E0 0000 0001 00 C0 01 10 C2 02 00 01"), allocator: allocator)
        #expect(large.tpduSize == 8192)
    }

    @Test("DT segments are reassembled into one TSDU")
    func reassembly() {
        var connection = COTPConnection()
        _ = connection.tpduReceived(hexBuffer("0D E0 0000 0001 00 C0 01 0D C2 02 00 01"), allocator: allocator)
        #expect(connection.tpduReceived(hexBuffer("02 F0 00 01 02"), allocator: allocator) == .none)
        #expect(connection.tpduReceived(hexBuffer("02 F0 00 03"), allocator: allocator) == .none)
        #expect(connection.tpduReceived(hexBuffer("02 F0 80 04 05"), allocator: allocator) == .deliver(hexBuffer("01 02 03 04 05")))
    }

    @Test("a TSDU written in place is one TPKT-framed DT when it fits, and the same DTs as segment() when it does not")
    func writeTSDU() {
        var connection = COTPConnection()
        _ = connection.tpduReceived(hexBuffer("0D E0 0000 0001 00 C0 01 07 C2 02 00 01"), allocator: allocator)  // 128 octets
        var small = ByteBuffer()
        connection.writeTSDU(into: &small) { $0.writeBytes([0xA0, 0x01, 0x02]) }
        #expect(small.hexDump == hex(hexBytes("03 00 00 0A 02 F0 80 A0 01 02")))
        let long = (0..<300).map { UInt8($0 & 0xFF) }
        var written = ByteBuffer(bytes: [0xEE])  // what was in the buffer before stays
        connection.writeTSDU(into: &written) { $0.writeBytes(long) }
        var segmented = ByteBuffer(bytes: [0xEE])
        connection.segment(ByteBuffer(bytes: long), into: &segmented)
        #expect(written == segmented)
    }

    @Test("an outbound TSDU is segmented into DTs of the negotiated size")
    func segmentation() throws {
        var connection = COTPConnection()
        _ = connection.tpduReceived(hexBuffer("0D E0 0000 0001 00 C0 01 07 C2 02 00 01"), allocator: allocator)  // 128 octets
        var out = ByteBuffer()
        connection.segment(ByteBuffer(bytes: (0..<300).map { UInt8($0 & 0xFF) }), into: &out)
        var payload: [UInt8] = []
        var endFlags: [Bool] = []
        while let frame = try TPKTFrameDecoder.readFrame(from: &out) {
            #expect(frame.readableBytes <= 128)
            guard case .data(let end, let bytes) = try COTPPDU.parse(frame) else {
                Issue.record("not a DT")
                return
            }
            endFlags.append(end)
            payload += bytes.readableBytesView
        }
        #expect(endFlags == [false, false, true])
        #expect(payload == (0..<300).map { UInt8($0 & 0xFF) })
    }

    @Test("data before the connection and malformed TPDUs close the connection", arguments: ["02 F0 80 01", "01", "05 E0 00", "FF E0", "02 C0 80"])
    func protocolErrors(tpdu: String) {
        var connection = COTPConnection()
        guard case .close = connection.tpduReceived(hexBuffer(tpdu), allocator: allocator) else {
            Issue.record("expected close")
            return
        }
        #expect(connection.state == .closed)
    }

    @Test("a reassembled TSDU beyond the limit is refused")
    func reassemblyLimit() {
        var connection = COTPConnection(maximumTSDUSize: 100)
        _ = connection.tpduReceived(hexBuffer("0D E0 0000 0001 00 C0 01 0D C2 02 00 01"), allocator: allocator)
        let segment = ByteBuffer(bytes: [0x02, 0xF0, 0x00] + [UInt8](repeating: 1, count: 60))
        #expect(connection.tpduReceived(segment, allocator: allocator) == .none)
        guard case .close(let reply) = connection.tpduReceived(segment, allocator: allocator) else {
            Issue.record("expected close")
            return
        }
        #expect(reply != nil)  // a DR
    }
}
