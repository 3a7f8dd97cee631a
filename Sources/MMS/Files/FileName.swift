import BERCodec
import NIOCore

/// FileName ::= SEQUENCE OF GraphicString (ISO 9506-2): IEC 61850 clients send one element with a
/// `/`-separated path; several elements are joined with `/`.
public enum FileName {
    /// The longest name accepted, in octets (libIEC61850 accepts 256 as well).
    public static let maximumLength = 256

    /// The path in the GraphicStrings of `reader`, joined with `/`.
    static func decode(_ reader: inout BERReader) throws(MMSDecodeError) -> String {
        var parts: [String] = []
        var length = 0
        while !reader.isAtEnd {
            let element: BERElement
            do {
                element = try reader.readElement()
            } catch {
                throw .ber(error)
            }
            guard element.tag == .graphicString else { throw .invalidArgument("a file name is GraphicStrings (tag 25), not \(element.tag)") }
            length += element.content.readableBytes + 1
            guard length <= maximumLength + 1 else { throw .invalidArgument("a file name is longer than \(maximumLength) octets") }
            parts.append(element.stringValue)
        }
        return parts.joined(separator: "/")
    }

    /// Writes a name as one GraphicString.
    static func write(_ name: String, into buffer: inout ByteBuffer) {
        buffer.writeBERString(.graphicString, name)
    }
}
