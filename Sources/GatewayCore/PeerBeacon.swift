import Foundation
import Synchronization

/// What the two nodes of a redundant pair tell each other twice a second over UDP: whether each still
/// reaches its field. A node that lost its field hands over only while its peer says it has its own:
/// when the field fails for both (a device restarting, the field network down), the active node keeps
/// the virtual address and the SCADA sees honest qualities, not a lost connection.
///
/// A datagram is `iec61850-gateway NODE field=1|0` in ASCII. It carries no secret: like VRRP itself,
/// it belongs on the trusted station network.
///
/// @unchecked Sendable: the socket is written by `send` and read by `receive`, both called by the
/// redundancy thread only; `latest` is behind its lock.
public final class PeerBeacon: @unchecked Sendable {
    /// The default UDP port, on both nodes.
    public static let defaultPort = 8103
    private static let prefix = "iec61850-gateway "

    /// What the peer said last, and when (monotonic nanoseconds).
    public struct Heard: Sendable, Equatable {
        public let node: String
        public let field: Bool
        public let atNanoseconds: UInt64
    }

    private let socket: Int32
    private var peer = sockaddr_in()
    private let latest = Mutex<Heard?>(nil)

    /// Opens the UDP socket on `port` (every address) to hear `peerAddress` (IPv4), and to send to it.
    public init(peerAddress: String, port: Int) throws(RedundancyError) {
        var address = in_addr()
        guard inet_pton(AF_INET, peerAddress, &address) == 1 else {
            throw RedundancyError(path: "redundancy.peer", reason: "'\(peerAddress)' is not an IPv4 address")
        }
        let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw RedundancyError(path: "redundancy.peer", reason: "socket: \(String(cString: strerror(errno)))") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_port = in_port_t(UInt16(port).bigEndian)
        local.sin_addr.s_addr = INADDR_ANY
        var one: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            close(socket)
            throw RedundancyError(path: "redundancy.peer", reason: "cannot listen on UDP port \(port): \(reason)")
        }
        self.socket = socket
        peer.sin_family = sa_family_t(AF_INET)
        peer.sin_port = in_port_t(UInt16(port).bigEndian)
        peer.sin_addr = address
    }

    deinit { close(socket) }

    /// Tells the peer whether this node reaches its field. A lost datagram is no error: the next follows.
    public func send(node: String, field: Bool) {
        let text = Array((Self.prefix + "\(node) field=\(field ? 1 : 0)").utf8)
        _ = text.withUnsafeBytes { bytes in
            withUnsafePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(socket, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// Takes what arrived since the last call; datagrams from any other address are ignored.
    public func receive(now: UInt64) {
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            var from = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(socket, &buffer, buffer.count, 0, $0, &length) }
            }
            guard count > 0 else { return }
            guard from.sin_addr.s_addr == peer.sin_addr.s_addr,
                let text = String(bytes: buffer[0..<count], encoding: .ascii), text.hasPrefix(Self.prefix)
            else { continue }
            let words = text.dropFirst(Self.prefix.count).split(separator: " ")
            guard words.count == 2, words[1] == "field=1" || words[1] == "field=0" else { continue }
            latest.withLock { $0 = Heard(node: String(words[0]), field: words[1] == "field=1", atNanoseconds: now) }
        }
    }

    /// What the peer said last, if it said it within `within` nanoseconds of `now`.
    public func heard(now: UInt64, within: UInt64 = 3_000_000_000) -> Heard? {
        latest.withLock { heard in heard.flatMap { now &- $0.atNanoseconds <= within ? $0 : nil } }
    }
}
