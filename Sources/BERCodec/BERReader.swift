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
        // Identifier and length are parsed from the bytes in one access rather than octet by octet: every
        // request's every element comes through here.
        let header = buffer.withUnsafeReadableBytes { Self.header(of: $0) }
        switch header {
        case .failure(let error): throw error
        case .success(let (tag, octets, length)):
            buffer.moveReaderIndex(forwardBy: octets)
            guard let length else { return BERElement(tag: tag, content: try readIndefiniteContent(depth: depth + 1)) }
            guard let content = buffer.readSlice(length: length) else { throw .truncated }
            return BERElement(tag: tag, content: content)
        }
    }

    /// The identifier and length at the start of `bytes`: the tag, how many octets they take, and the
    /// content length (nil for the indefinite form).
    private static func header(of bytes: UnsafeRawBufferPointer) -> Result<(BERTag, Int, Int?), BERError> {
        guard let octet = bytes.first else { return .failure(.truncated) }
        var tag = BERTag(octet: octet)
        var index = 1
        if octet & 0x1F == 0x1F {
            var number: UInt32 = 0
            while true {
                guard index < bytes.count else { return .failure(.truncated) }
                let next = bytes[index]
                index += 1
                guard number < (1 << 21) else { return .failure(.invalidTag) }
                number = (number << 7) | UInt32(next & 0x7F)
                if next & 0x80 == 0 { break }
            }
            tag.number = number
        }
        guard index < bytes.count else { return .failure(.truncated) }
        let first = bytes[index]
        index += 1
        if first == 0x80 { return tag.isConstructed ? .success((tag, index, nil)) : .failure(.invalidLength) }
        if first < 0x80 { return .success((tag, index, Int(first))) }
        let octets = Int(first & 0x7F)
        guard octets <= 4, first != 0xFF else { return .failure(.invalidLength) }
        guard index + octets <= bytes.count else { return .failure(.truncated) }
        var length = 0
        for offset in index..<(index + octets) { length = (length << 8) | Int(bytes[offset]) }
        return .success((tag, index + octets, length))
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
