import NIOCore

// Every ByteBuffer write checks uniqueness and capacity and reaches into the buffer's storage (with an
// exclusivity check each time): the encoders here write an element's identifier, length and short content
// in one call where they can, which makes a read response's headers cost a third of octet-by-octet writes.
extension ByteBuffer {
    /// Writes a BER identifier.
    public mutating func writeBERTag(_ tag: BERTag) {
        writeInteger(tag.leadingOctet)
        guard tag.number >= 31 else { return }
        var shift = 28
        while shift > 0, (tag.number >> UInt32(shift)) == 0 { shift -= 7 }
        while shift > 0 {
            writeInteger(UInt8(0x80 | ((tag.number >> UInt32(shift)) & 0x7F)))
            shift -= 7
        }
        writeInteger(UInt8(tag.number & 0x7F))
    }

    /// Writes a definite BER length in the minimal form.
    public mutating func writeBERLength(_ length: Int) {
        if length < 0x80 {
            writeInteger(UInt8(length))
        } else if length <= 0xFF {
            writeInteger(UInt8(0x81))
            writeInteger(UInt8(length))
        } else if length <= 0xFFFF {
            writeMultipleIntegers(UInt8(0x82), UInt16(length))
        } else {
            writeInteger(UInt8(0x83))
            writeInteger(UInt8(truncatingIfNeeded: length >> 16))
            writeInteger(UInt16(truncatingIfNeeded: length))
        }
    }

    /// Writes a constructed (or primitive) element whose content `body` writes.
    ///
    /// One length octet is reserved first; when the content turns out longer than 127 octets it is moved
    /// up in place to make room for the long form, so no temporary buffer is needed.
    @inlinable
    public mutating func writeBERElement(_ tag: BERTag, _ body: (inout ByteBuffer) throws -> Void) rethrows {
        let lengthIndex: Int
        if tag.number < 31 {
            lengthIndex = writerIndex + 1
            writeMultipleIntegers(tag.leadingOctet, UInt8(0))
        } else {
            writeBERTag(tag)
            lengthIndex = writerIndex
            writeInteger(UInt8(0))
        }
        let contentStart = writerIndex
        try body(&self)
        fixBERLength(at: lengthIndex, contentStart: contentStart)
    }

    @usableFromInline
    mutating func fixBERLength(at lengthIndex: Int, contentStart: Int) {
        let length = writerIndex - contentStart
        if length < 0x80 {
            setInteger(UInt8(length), at: lengthIndex)
            return
        }
        let extra = length <= 0xFF ? 1 : (length <= 0xFFFF ? 2 : 3)
        writeRepeatingByte(0, count: extra)
        do {
            _ = try copyBytes(at: contentStart, to: contentStart + extra, length: length)
        } catch {
            preconditionFailure("BER length fix-up moved bytes out of the written range: \(error)")
        }
        setInteger(UInt8(0x80 | extra), at: lengthIndex)
        for index in 0..<extra {
            setInteger(UInt8(truncatingIfNeeded: length >> (8 * (extra - 1 - index))), at: lengthIndex + 1 + index)
        }
    }

    /// Writes a primitive element with the given content octets.
    public mutating func writeBERPrimitive(_ tag: BERTag, bytes: some Collection<UInt8>) {
        writeBERTag(tag)
        writeBERLength(bytes.count)
        writeBytes(bytes)
    }

    /// Writes a primitive element whose content is a byte buffer's readable bytes.
    public mutating func writeBERPrimitive(_ tag: BERTag, buffer: ByteBuffer) {
        writeBERTag(tag)
        writeBERLength(buffer.readableBytes)
        writeImmutableBuffer(buffer)
    }

    /// Writes a string's UTF-8 octets as a primitive element.
    public mutating func writeBERString(_ tag: BERTag, _ string: String) {
        let count = string.utf8.count
        if tag.number < 31 && count < 0x80 {
            writeMultipleIntegers(tag.leadingOctet, UInt8(count))
        } else {
            writeBERTag(tag)
            writeBERLength(count)
        }
        writeString(string)
    }

    /// Writes a two's complement INTEGER in the minimal number of octets.
    public mutating func writeBERInteger(_ tag: BERTag = .integer, _ value: Int64) {
        var octets = 8
        while octets > 1 {
            let top = value >> (8 * (octets - 1) - 1)
            if top == 0 || top == -1 { octets -= 1 } else { break }
        }
        writeBERTag(tag)
        writeWithUnsafeMutableBytes(minimumWritableBytes: 9) { out in
            out[0] = UInt8(octets)
            for index in 0..<octets { out[1 + index] = UInt8(truncatingIfNeeded: value >> (8 * (octets - 1 - index))) }
            return 1 + octets
        }
    }

    /// Writes a non-negative INTEGER, with a leading zero octet when the high bit is set.
    public mutating func writeBERUnsigned(_ tag: BERTag, _ value: UInt64) {
        var octets = 1
        while octets < 8, value >> (8 * octets) != 0 { octets += 1 }
        let needsZero = (value >> (8 * octets - 1)) & 1 == 1
        writeBERTag(tag)
        let padding = needsZero ? 1 : 0
        writeWithUnsafeMutableBytes(minimumWritableBytes: 10) { out in
            out[0] = UInt8(octets + padding)
            out[1] = 0
            for index in 0..<octets { out[1 + padding + index] = UInt8(truncatingIfNeeded: value >> (8 * (octets - 1 - index))) }
            return 1 + padding + octets
        }
    }

    /// Writes a BOOLEAN as `FF` (true) or `00` (false).
    public mutating func writeBERBoolean(_ tag: BERTag = .boolean, _ value: Bool) {
        guard tag.number < 31 else {
            writeBERTag(tag)
            writeMultipleIntegers(UInt8(1), UInt8(value ? 0xFF : 0x00))
            return
        }
        writeMultipleIntegers(tag.leadingOctet, UInt8(1), UInt8(value ? 0xFF : 0x00))
    }

    /// Writes a NULL (empty content).
    public mutating func writeBERNull(_ tag: BERTag = .null) {
        guard tag.number < 31 else {
            writeBERTag(tag)
            writeInteger(UInt8(0))
            return
        }
        writeMultipleIntegers(tag.leadingOctet, UInt8(0))
    }
}
