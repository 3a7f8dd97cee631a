import Foundation

/// An IPv4 or IPv6 network (`10.0.5.0/24`, `fd00::/8`, or one address), to give peers a role by address.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    let address: [UInt8]
    let prefixLength: Int

    /// Reads `ADDRESS[/PREFIX]`; nil when it is not one.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let address = Self.octets(first) else { return nil }
        let length = parts.count == 2 ? Int(parts[1]) : address.count * 8
        guard let length, (0...(address.count * 8)).contains(length) else { return nil }
        self.address = address
        self.prefixLength = length
    }

    /// Whether `host` (an address as text, without a port) is in this network.
    public func contains(_ host: String) -> Bool {
        guard var other = Self.octets(host) else { return false }
        // An IPv4 peer of a dual-stack listener shows as ::ffff:a.b.c.d.
        if address.count == 4, other.count == 16, other[..<12].elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]) { other = Array(other[12...]) }
        guard other.count == address.count else { return false }
        var bits = prefixLength
        for (lhs, rhs) in zip(address, other) where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if lhs & mask != rhs & mask { return false }
            bits -= 8
        }
        return true
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        address.withUnsafeBytes { _ = inet_ntop(address.count == 4 ? AF_INET : AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
        return "\(String(cString: text))/\(prefixLength)"
    }

    static func octets(_ text: String) -> [UInt8]? {
        let host = text.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

extension ClientConnection {
    /// The peer's IP address as octets (4 for IPv4, 16 for IPv6; empty when unknown): a control block's Owner.
    package var peerAddressBytes: [UInt8] { IPNetwork.octets(peerHost) ?? [] }
}
