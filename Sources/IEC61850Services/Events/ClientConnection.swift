/// The association a request came from, as handlers see it.
public struct ClientConnection: Sendable, Hashable, CustomStringConvertible {
    /// A number unique for the server's lifetime.
    public let id: UInt64
    /// The remote address, `ip:port`.
    public let peerAddress: String?

    public init(id: UInt64, peerAddress: String?) {
        self.id = id
        self.peerAddress = peerAddress
    }

    public var description: String { "association #\(id) from \(peerAddress ?? "?")" }

    /// The peer's IP address without the port (`10.0.0.5`, `::1`), or "?" when unknown.
    package var peerHost: String {
        guard let peerAddress, let colon = peerAddress.lastIndex(of: ":") else { return peerAddress ?? "?" }
        return String(peerAddress[..<colon])
    }
}
