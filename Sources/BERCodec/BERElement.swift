import NIOCore

/// One decoded TLV: its tag and the content octets (a slice of the input, not a copy).
public struct BERElement: Sendable {
    public var tag: BERTag
    public var content: ByteBuffer

    public init(tag: BERTag, content: ByteBuffer) {
        self.tag = tag
        self.content = content
    }

    /// A reader over the children of a constructed element.
    public var children: BERReader { BERReader(content) }

    /// Throws unless the element carries `tag`.
    @discardableResult
    public func expect(_ expected: BERTag) throws(BERError) -> BERElement {
        guard tag == expected else { throw .unexpectedTag(expected: expected, found: tag) }
        return self
    }

    /// The content as a two's complement integer of at most eight octets.
    public func integerValue() throws(BERError) -> Int64 {
        let count = content.readableBytes
        guard count >= 1, count <= 8 else {
            if count == 9, content.getInteger(at: content.readerIndex, as: UInt8.self) == 0 {
                throw .invalidValue("integer wider than 64 bits")
            }
            throw .invalidValue("integer of \(count) octets")
        }
        var value: Int64 = Int64(Int8(bitPattern: content.getInteger(at: content.readerIndex, as: UInt8.self)!))
        var index = content.readerIndex + 1
        while index < content.writerIndex {
            value = (value << 8) | Int64(content.getInteger(at: index, as: UInt8.self)!)
            index += 1
        }
        return value
    }

    /// The content as a non-negative integer of up to 64 bits (a leading zero octet allowed).
    public func unsignedValue() throws(BERError) -> UInt64 {
        var count = content.readableBytes
        var index = content.readerIndex
        guard count >= 1 else { throw .invalidValue("empty unsigned") }
        if content.getInteger(at: index, as: UInt8.self)! & 0x80 != 0 {
            throw .invalidValue("negative value for an unsigned")
        }
        while count > 8, content.getInteger(at: index, as: UInt8.self) == 0 {
            index += 1
            count -= 1
        }
        guard count <= 8 else { throw .invalidValue("unsigned wider than 64 bits") }
        var value: UInt64 = 0
        for offset in 0..<count {
            value = (value << 8) | UInt64(content.getInteger(at: index + offset, as: UInt8.self)!)
        }
        return value
    }

    /// The content as a BOOLEAN: one octet, any non-zero value is true.
    public func booleanValue() throws(BERError) -> Bool {
        guard content.readableBytes == 1 else { throw .invalidValue("boolean of \(content.readableBytes) octets") }
        return content.getInteger(at: content.readerIndex, as: UInt8.self)! != 0
    }

    /// The content octets as an array.
    public var bytes: [UInt8] { Array(content.readableBytesView) }

    /// The content as a string of 8-bit characters (VisibleString, GraphicString, UTF8String).
    public var stringValue: String { String(decoding: content.readableBytesView, as: UTF8.self) }
}
