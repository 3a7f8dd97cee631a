import NIOCore

/// One decoded TLV: its tag and the content octets (a slice of the input, not a copy).
public struct BERElement: Sendable, Equatable {
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
        return content.withUnsafeReadableBytes { octets in
            var value = Int64(Int8(bitPattern: octets[0]))
            for octet in octets.dropFirst() { value = (value << 8) | Int64(octet) }
            return value
        }
    }

    /// The content as a non-negative integer of up to 64 bits (a leading zero octet allowed).
    public func unsignedValue() throws(BERError) -> UInt64 {
        let result: Result<UInt64, BERError> = content.withUnsafeReadableBytes { octets in
            guard let first = octets.first else { return .failure(.invalidValue("empty unsigned")) }
            if first & 0x80 != 0 { return .failure(.invalidValue("negative value for an unsigned")) }
            var significant = octets[...]
            while significant.count > 8, significant.first == 0 { significant = significant.dropFirst() }
            guard significant.count <= 8 else { return .failure(.invalidValue("unsigned wider than 64 bits")) }
            var value: UInt64 = 0
            for octet in significant { value = (value << 8) | UInt64(octet) }
            return .success(value)
        }
        return try result.get()
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
