import BERCodec
import NIOCore
import TestSupport
import Testing

@Suite("BER encoding")
struct BEREncodingTests {
    @Test(
        "integers use the fewest two's complement octets",
        arguments: [
            (Int64(0), "02 01 00"), (127, "02 01 7F"), (128, "02 02 00 80"), (-1, "02 01 FF"), (-128, "02 01 80"),
            (-129, "02 02 FF 7F"), (65_000, "02 03 00 FD E8"), (Int64.max, "02 08 7F FF FF FF FF FF FF FF"),
            (Int64.min, "02 08 80 00 00 00 00 00 00 00"),
        ])
    func integer(value: Int64, expected: String) throws {
        var buffer = ByteBuffer()
        buffer.writeBERInteger(.integer, value)
        #expect(buffer.hexDump == expected)
        var reader = BERReader(buffer)
        #expect(try reader.readElement().integerValue() == value)
    }

    @Test(
        "unsigned values get a leading zero when the high bit is set",
        arguments: [(UInt64(255), "86 02 00 FF"), (0, "86 01 00"), (127, "86 01 7F"), (4_000_000_000, "86 05 00 EE 6B 28 00")])
    func unsigned(value: UInt64, expected: String) throws {
        var buffer = ByteBuffer()
        buffer.writeBERUnsigned(.context(6), value)
        #expect(buffer.hexDump == expected)
        var reader = BERReader(buffer)
        #expect(try reader.readElement().unsignedValue() == value)
    }

    @Test(
        "a constructed element longer than 127 octets gets its long length in place",
        arguments: [(100, "30 64"), (200, "30 81 C8"), (300, "30 82 01 2C"), (70_000, "30 83 01 11 70")])
    func longLength(contentLength: Int, header: String) throws {
        var buffer = ByteBuffer()
        buffer.writeBERElement(.sequence) { $0.writeRepeatingByte(0xAB, count: contentLength) }
        let headerLength = hexBytes(header).count
        #expect(hex(buffer.readableBytesView.prefix(headerLength)) == header)
        #expect(buffer.readableBytes == headerLength + contentLength)
        #expect(buffer.readableBytesView.dropFirst(headerLength).allSatisfy { $0 == 0xAB })
        var reader = BERReader(buffer)
        #expect(try reader.readElement(.sequence).content.readableBytes == contentLength)
    }

    @Test("tags above 30 use the long form")
    func longTag() throws {
        var buffer = ByteBuffer()
        buffer.writeBERElement(.contextConstructed(65)) { $0.writeBERNull() }
        #expect(buffer.hexDump == "BF 41 02 05 00")
        var reader = BERReader(buffer)
        let element = try reader.readElement()
        #expect(element.tag == .contextConstructed(65))
    }
}

@Suite("BER decoding")
struct BERDecodingTests {
    @Test("indefinite lengths are read up to their end-of-contents")
    func indefinite() throws {
        var reader = BERReader(hexBuffer("A0 80 02 01 05 30 80 01 01 FF 00 00 00 00 04 00"))
        let outer = try reader.readElement(.contextConstructed(0))
        var inner = outer.children
        #expect(try inner.readElement(.integer).integerValue() == 5)
        var sequence = try inner.readElement(.sequence).children
        #expect(try sequence.readElement(.boolean).booleanValue())
        #expect(inner.isAtEnd)
        #expect(try reader.readElement(.octetString).content.readableBytes == 0)
    }

    @Test(
        "truncated and impossible encodings are refused",
        arguments: ["30", "30 05 02 01", "02 85 00 00 00 00 01 00", "1F", "1F FF FF FF FF 7F 00", "30 80 02 01 00"])
    func refused(bytes: String) {
        var reader = BERReader(hexBuffer(bytes))
        #expect(throws: BERError.self) { try reader.readElement() }
    }

    @Test("deeply nested indefinite lengths are refused, not followed")
    func nestingBomb() {
        var reader = BERReader(ByteBuffer(bytes: [UInt8](repeating: 0, count: 0) + Array(repeating: [0x30, 0x80], count: 5000).flatMap { $0 }))
        #expect(throws: BERError.nestingTooDeep) { try reader.readElement() }
    }

    @Test("integers wider than 64 bits are refused")
    func wideInteger() throws {
        var reader = BERReader(hexBuffer("02 09 01 00 00 00 00 00 00 00 00"))
        let element = try reader.readElement()
        #expect(throws: BERError.self) { try element.integerValue() }
    }
}
