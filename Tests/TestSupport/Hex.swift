import NIOCore

/// Bytes from hex text; spaces, newlines and `|` separators are ignored.
public func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.unicodeScalars.filter { $0.properties.isASCIIHexDigit }.map { UInt8(String($0), radix: 16)! }
    precondition(digits.count % 2 == 0, "odd number of hex digits in \(text)")
    return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}

/// A byte buffer from hex text.
public func hexBuffer(_ text: String) -> ByteBuffer {
    ByteBuffer(bytes: hexBytes(text))
}

/// Hex text of bytes, upper case, space separated (for readable test failures).
public func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { byte in
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: " ")
}

extension ByteBuffer {
    /// The readable bytes as hex text.
    public var hexDump: String { hex(readableBytesView) }
}
