import NIOCore

/// Reads consecutive BER elements from a buffer.
///
/// Definite lengths (short and long form up to four octets) and indefinite lengths (`80` … `00 00`)
/// are accepted. Content is returned as slices, so reading allocates nothing.
public struct BERReader: Sendable {
    public var buffer: ByteBuffer

    /// The deepest nesting of indefinite-length elements the reader follows.
    public static let maximumIndefiniteDepth = 16

    public init(_ buffer: ByteBuffer) {
        self.buffer = buffer
    }

    public var isAtEnd: Bool { buffer.readableBytes == 0 }

    /// The tag of the next element without consuming it.
    public func peekTag() throws(BERError) -> BERTag {
        var copy = self
        return try copy.readTag()
    }

    /// Reads the next element.
    public mutating func readElement() throws(BERError) -> BERElement {
        try readElement(depth: 0)
    }

    /// Reads the next element, which must carry `tag`.
    public mutating func readElement(_ tag: BERTag) throws(BERError) -> BERElement {
        try readElement().expect(tag)
    }

    /// Reads the next element if it carries `tag`; otherwise leaves the reader unchanged.
    public mutating func readOptional(_ tag: BERTag) throws(BERError) -> BERElement? {
        guard !isAtEnd, try peekTag() == tag else { return nil }
        return try readElement()
    }

    /// Every remaining element.
    public mutating func readAll() throws(BERError) -> [BERElement] {
        var elements: [BERElement] = []
        while !isAtEnd { elements.append(try readElement()) }
        return elements
    }

    private mutating func readElement(depth: Int) throws(BERError) -> BERElement {
        let tag = try readTag()
        guard let first = buffer.readInteger(as: UInt8.self) else { throw .truncated }
        if first == 0x80 {
            guard tag.isConstructed else { throw .invalidLength }
            return BERElement(tag: tag, content: try readIndefiniteContent(depth: depth + 1))
        }
        let length: Int
        if first < 0x80 {
            length = Int(first)
        } else {
            let octets = Int(first & 0x7F)
            guard octets <= 4, first != 0xFF else { throw .invalidLength }
            var value = 0
            for _ in 0..<octets {
                guard let byte = buffer.readInteger(as: UInt8.self) else { throw .truncated }
                value = (value << 8) | Int(byte)
            }
            length = value
        }
        guard let content = buffer.readSlice(length: length) else { throw .truncated }
        return BERElement(tag: tag, content: content)
    }

    private mutating func readIndefiniteContent(depth: Int) throws(BERError) -> ByteBuffer {
        guard depth <= Self.maximumIndefiniteDepth else { throw .nestingTooDeep }
        let start = buffer.readerIndex
        let whole = buffer
        while true {
            guard buffer.readableBytes >= 2 else { throw .truncated }
            if buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0 {
                guard let content = whole.getSlice(at: start, length: buffer.readerIndex - start) else { throw .truncated }
                buffer.moveReaderIndex(forwardBy: 2)
                return content
            }
            _ = try readElement(depth: depth)
        }
    }

    private mutating func readTag() throws(BERError) -> BERTag {
        guard let octet = buffer.readInteger(as: UInt8.self) else { throw .truncated }
        var tag = BERTag(octet: octet)
        if octet & 0x1F == 0x1F {
            var number: UInt32 = 0
            while true {
                guard let next = buffer.readInteger(as: UInt8.self) else { throw .truncated }
                guard number < (1 << 21) else { throw .invalidTag }
                number = (number << 7) | UInt32(next & 0x7F)
                if next & 0x80 == 0 { break }
            }
            tag.number = number
        }
        return tag
    }
}
