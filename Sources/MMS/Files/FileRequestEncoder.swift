import BERCodec
import NIOCore

/// The file service requests a server sends its client while it carries out an ObtainFile, and the
/// client's responses to them.
public enum FileRequestEncoder {
    /// confirmed-RequestPDU (`A0`): the invoke id, then the service request that `body` writes.
    public static func writeConfirmedRequest(invokeID: UInt32, into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void) {
        buffer.writeBERElement(.contextConstructed(0)) { pdu in
            pdu.writeBERUnsigned(.integer, UInt64(invokeID))
            body(&pdu)
        }
    }

    /// FileOpen-Request: `BF 48 { A0 { 19 name }, 81 initialPosition }`.
    public static func writeFileOpen(name: String, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(72)) { request in
            request.writeBERElement(.contextConstructed(0)) { FileName.write(name, into: &$0) }
            request.writeBERUnsigned(.context(1), 0)
        }
    }

    /// FileRead-Request (`9F 49 frsmID`) and FileClose-Request (`9F 4A frsmID`).
    public static func writeFileRead(frsmID: Int32, into buffer: inout ByteBuffer) { buffer.writeBERInteger(.context(73), Int64(frsmID)) }
    public static func writeFileClose(frsmID: Int32, into buffer: inout ByteBuffer) { buffer.writeBERInteger(.context(74), Int64(frsmID)) }

    /// The frsmID and size of a FileOpen-Response.
    public static func fileOpenResponse(_ element: BERElement) throws(MMSDecodeError) -> (frsmID: Int32, size: UInt32) {
        guard element.tag == .contextConstructed(72) else { throw .invalidArgument("not a FileOpen response: \(element.tag)") }
        do {
            var fields = element.children
            let id = try fields.readElement(.context(0)).integerValue()
            var attributes = try fields.readElement(.contextConstructed(1)).children
            let size = try attributes.readElement(.context(0)).integerValue()
            guard let frsmID = Int32(exactly: id), let octets = UInt32(exactly: size) else { throw MMSDecodeError.invalidArgument("frsmID or size") }
            return (frsmID, octets)
        } catch let error as MMSDecodeError {
            throw error
        } catch {
            throw .invalidArgument("FileOpen response: \(error)")
        }
    }

    /// The data of a FileRead-Response and whether more follows (DEFAULT TRUE).
    public static func fileReadResponse(_ element: BERElement) throws(MMSDecodeError) -> (data: ByteBuffer, moreFollows: Bool) {
        guard element.tag == .contextConstructed(73) else { throw .invalidArgument("not a FileRead response: \(element.tag)") }
        do {
            var fields = element.children
            let data = try fields.readElement(.context(0)).content
            let more = try fields.readOptional(.context(1))?.booleanValue() ?? true
            return (data, more)
        } catch {
            throw .invalidArgument("FileRead response: \(error)")
        }
    }
}
