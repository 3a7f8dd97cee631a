import Crypto
import Foundation
import Synchronization

/// Gives each association a role from what its client proved: a password (checked against salted
/// hashes), its TLS certificate (subject, common name or fingerprint), or its address. The highest role
/// any of them grants wins; a password that matches no rule refuses the association (it is never
/// quietly downgraded), and an association that matches nothing gets ``defaultRole`` or is refused.
///
/// ```swift
/// var roles = RoleMapping(defaultRole: .viewer)
/// roles.passwords = [.init(try PasswordHash(operatorHash), role: .operator)]
/// roles.certificates = [.init(.commonName("eng-laptop"), role: .engineer)]
/// configuration.authenticator = .roles(roles)
/// ```
public struct RoleMapping: Sendable {
    /// A role for whoever proves a credential (a password hash, a certificate match, a network).
    public struct Grant<Credential: Sendable>: Sendable {
        public var credential: Credential
        public var role: Role
        public init(_ credential: Credential, role: Role) {
            self.credential = credential
            self.role = role
        }
    }

    public enum CertificateMatch: Sendable, Equatable {
        /// The whole subject, `CN=scada-1,O=Plant` (the order of its parts and spaces around them do not matter).
        case subject(String)
        /// The subject's common name.
        case commonName(String)
        /// The certificate's SHA-256 fingerprint in hex (colons and case do not matter).
        case fingerprint(String)

        func matches(_ certificate: PeerCertificate) -> Bool {
            switch self {
            case .subject(let subject): Self.parts(subject) == Self.parts(certificate.subject)
            case .commonName(let name): certificate.commonName == name
            case .fingerprint(let hex): hex.lowercased().filter(\.isHexDigit) == certificate.sha256Fingerprint
            }
        }

        /// `TYPE=value` pairs, types in upper case, without surrounding spaces.
        static func parts(_ name: String) -> Set<String> {
            Set(
                name.split(separator: ",").map { part in
                    let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    return pair.count == 2 ? "\(pair[0].uppercased())=\(pair[1])" : part.trimmingCharacters(in: .whitespaces)
                })
        }
    }

    public var passwords: [Grant<PasswordHash>] = []
    public var certificates: [Grant<CertificateMatch>] = []
    public var networks: [Grant<IPNetwork>] = []
    /// The role of an association that matches no rule; nil refuses it.
    public var defaultRole: Role?
    /// Passwords already checked, by a keyed digest (never the password): a PBKDF2 check costs tens of
    /// milliseconds, and an association should not pay it every time.
    private let verified = VerifiedPasswords()

    public init(defaultRole: Role? = nil) {
        self.defaultRole = defaultRole
    }

    /// The role for these credentials, or nil: refused.
    public func role(for request: AuthenticationRequest) -> Role? {
        var granted: [Role] = []
        if request.mechanism == .password, let password = request.password {
            guard let role = passwordRole(password) else { return nil }
            granted.append(role)
        }
        if let certificate = request.certificate {
            granted += certificates.filter { $0.credential.matches(certificate) }.map(\.role)
        }
        if let address = request.peerAddress, let colon = address.lastIndex(of: ":") {
            let host = String(address[..<colon])
            granted += networks.filter { $0.credential.contains(host) }.map(\.role)
        }
        return granted.max() ?? defaultRole
    }

    /// Whether this password was checked before (its role is then known without hashing).
    func remembers(_ password: String) -> Bool { verified.role(of: password) != nil }

    private func passwordRole(_ password: String) -> Role? {
        if let known = verified.role(of: password) { return known }
        let role = passwords.filter { $0.credential.matches(password) }.map(\.role).max()
        if let role { verified.remember(password, as: role) }
        return role
    }
}

/// Checked passwords, keyed by HMAC-SHA256 under a key made at start (so the table holds no password
/// and nothing that can be checked against one outside this process).
private final class VerifiedPasswords: Sendable {
    private let key = SymmetricKey(size: .bits256)
    private let roles = Mutex<[Data: Role]>([:])

    private func digest(_ password: String) -> Data { Data(HMAC<SHA256>.authenticationCode(for: Array(password.utf8), using: key)) }

    func role(of password: String) -> Role? { roles.withLock { $0[digest(password)] } }

    func remember(_ password: String, as role: Role) {
        let digest = digest(password)
        roles.withLock { table in
            if table.count >= 64 { table.removeAll() }  // a handful of passwords in a plant
            table[digest] = role
        }
    }
}
