import BERCodec
import Foundation
import MMS
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal blocking MMS client over one TCP connection: associates with the captured libIEC61850
/// client's CR and CN, then sends pre-encoded read requests and waits for their responses.
final class LoadClient {
    private let socket: Int32
    private var pending: [UInt8] = []

    /// The CR and CN of the libIEC61850 client (Tests/Fixtures/vectors/libiec61850-client.txt).
    static let association: [[UInt8]] = [
        hex("0300001611e00000000100c0010dc2020001c1020001"),
        hex(
            "030000bb02f0800db20506130100160102140200023302000134020001c19c318199a003800101a28191810400000001"
                + "820400000001a423300f0201010604520100013004060251013010020103060528ca220201300406025101615e305c02"
                + "0101a0576055a107060528ca220203a20706052901876701a30302010ca606060429018767a70302010cbe2f282d0201"
                + "03a028a826800300fde881010582010583010aa416800101810305f100820c03ee1c00000408000079ef18"),
    ]

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw BenchError("socket() failed") }
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw BenchError("cannot connect to 127.0.0.1:\(port)")
        }
        for frame in Self.association {
            try send(frame)
            _ = try receiveFrame()
        }
    }

    deinit { close(socket) }

    /// A framed read request of one domain-specific variable.
    static func readRequest(invokeID: UInt32, domain: String, item: String) -> [UInt8] {
        request(invokeID: invokeID) { body in
            body.writeBERElement(.contextConstructed(4)) { read in
                read.writeBERElement(.contextConstructed(1)) {
                    VariableAccessSpecification.listOfVariable([VariableSpecification(name: .domainSpecific(domain: domain, item: item))]).encode(into: &$0)
                }
            }
        }
    }

    /// A framed confirmed request; `service` writes the service element.
    static func request(invokeID: UInt32, _ service: (inout ByteBuffer) -> Void) -> [UInt8] {
        var pdu = ByteBuffer()
        pdu.writeBERElement(.contextConstructed(0)) { request in
            request.writeBERUnsigned(.integer, UInt64(invokeID))
            service(&request)
        }
        var tsdu = ByteBuffer(bytes: [0x01, 0x00, 0x01, 0x00])
        tsdu.writeBERElement(.applicationConstructed(1)) { list in
            list.writeBERElement(.sequence) { pdv in
                pdv.writeBERInteger(.integer, 3)
                pdv.writeBERElement(.contextConstructed(0)) { $0.writeImmutableBuffer(pdu) }
            }
        }
        let length = tsdu.readableBytes + 7
        return [0x03, 0x00, UInt8(length >> 8), UInt8(length & 0xFF), 0x02, 0xF0, 0x80] + Array(tsdu.readableBytesView)
    }

    /// The MMS PDU of a data frame (TPKT, COTP DT, session, presentation fully-encoded data).
    static func mmsPDU(of frame: [UInt8]) throws -> BERElement {
        guard frame.count > 11 else { throw BenchError("short frame") }
        var reader = BERReader(ByteBuffer(bytes: frame[11...]))
        var list = try reader.readElement(.applicationConstructed(1)).children
        var pdv = try list.readElement(.sequence).children
        _ = try pdv.readElement(.integer)
        var content = try pdv.readElement(.contextConstructed(0)).children
        return try content.readElement()
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw BenchError("send failed") }
            offset += written
        }
    }

    /// Reads one whole TPKT frame (waiting at most `timeoutMilliseconds` for data, when given).
    func receiveFrame(timeoutMilliseconds: Int32? = nil) throws -> [UInt8] {
        while true {
            if pending.count >= 4 {
                let length = Int(pending[2]) << 8 | Int(pending[3])
                if pending.count >= length {
                    let frame = Array(pending[..<length])
                    pending.removeFirst(length)
                    return frame
                }
            }
            if let timeoutMilliseconds {
                var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, timeoutMilliseconds) == 1 else { throw BenchError("no data within \(timeoutMilliseconds) ms") }
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw BenchError("connection closed by the server") }
            pending += chunk[..<count]
        }
    }

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex), index < text.endIndex {
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
