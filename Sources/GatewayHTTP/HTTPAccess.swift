import Foundation
import IEC61850Server

/// Who may do what over HTTP. With the configuration's access rules (`server: access:`), every request
/// needs a role: a password of those rules given by HTTP Basic (any user name), a client certificate
/// (over HTTPS, checked as for MMS) that a certificate rule names, or a network rule or default role
/// that covers the peer's address; the highest of them counts. A viewer reads; an engineer also changes (reload,
/// substitution). Without rules, anyone who reaches the address reads and only this machine (loopback)
/// changes anything.
public struct HTTPAccess: Sendable {
    public var roles: RoleMapping?

    public init(roles: RoleMapping?) {
        self.roles = roles
    }

    /// The role of a request from `peer` (`ip:port`) with this `Authorization` header and client
    /// certificate; nil: refused.
    func role(peer: String?, authorization: String?, certificate: PeerCertificate? = nil) -> Role? {
        guard let roles else { return Self.isLoopback(peer) ? .engineer : .viewer }
        var request = AuthenticationRequest(mechanism: .none, peerAddress: peer, certificate: certificate)
        if let password = Self.basicPassword(authorization) {
            request.mechanism = .password
            request.password = password
        }
        return roles.role(for: request)
    }

    /// The password of an `Authorization: Basic …` header (the user name is not looked at).
    static func basicPassword(_ header: String?) -> String? {
        guard let header, header.count < 4096, header.lowercased().hasPrefix("basic ") else { return nil }
        guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return String(text[text.index(after: colon)...])
    }

    static func isLoopback(_ peer: String?) -> Bool {
        guard let peer, let colon = peer.lastIndex(of: ":") else { return false }
        let host = peer[..<colon]
        return host.hasPrefix("127.") || host == "::1" || host == "[::1]" || host.hasPrefix("::ffff:127.")
    }
}
