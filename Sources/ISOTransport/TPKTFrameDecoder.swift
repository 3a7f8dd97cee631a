import NIOCore

/// Splits a TCP byte stream into TPKT frames (RFC 1006) and yields each frame's TPDU.
///
/// A frame is `03 00 LL LL` followed by `LLLL - 4` octets. The decoder waits until a whole frame is
/// there; a header that is not version 3, a length below 7 or above `maximumFrameSize` is an error.
public struct TPKTFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = ByteBuffer

    /// The largest TPKT frame accepted, header included (the TPKT limit is 65535).
    public let maximumFrameSize: Int

    public init(maximumFrameSize: Int = 65535) {
        self.maximumFrameSize = min(maximumFrameSize, 65535)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.readFrame(from: &buffer, maximumFrameSize: maximumFrameSize) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A frame cut short by the peer's close is dropped: there is nobody left to answer.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    /// Reads one frame's TPDU from `buffer`, or returns nil when the frame is not complete yet.
    public static func readFrame(from buffer: inout ByteBuffer, maximumFrameSize: Int = 65535) throws(TransportError) -> ByteBuffer? {
        guard buffer.readableBytes >= 4 else {
            if let version = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), version != 3 {
                throw .invalidTPKTHeader
            }
            return nil
        }
        let start = buffer.readerIndex
        guard buffer.getInteger(at: start, as: UInt8.self) == 3, buffer.getInteger(at: start + 1, as: UInt8.self) == 0 else {
            throw .invalidTPKTHeader
        }
        let length = Int(buffer.getInteger(at: start + 2, as: UInt16.self)!)
        guard length >= 7 else { throw .invalidTPKTLength(length) }
        guard length <= maximumFrameSize else { throw .frameTooLarge(length, maximum: maximumFrameSize) }
        guard buffer.readableBytes >= length else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: length - 4)
    }
}

extension ByteBuffer {
    /// Writes a TPKT header for a TPDU of `payloadLength` octets.
    public mutating func writeTPKTHeader(payloadLength: Int) {
        writeInteger(UInt8(3))
        writeInteger(UInt8(0))
        writeInteger(UInt16(payloadLength + 4))
    }
}
