import Foundation
import Testing

@testable import IEC61850Server
@testable import MMSMapping

@Suite("Roles from passwords, certificates and addresses")
struct RoleMappingTests {
    static let operatorHash = PasswordHash(hashing: "op-secret", rounds: 1_000)
    static let engineerHash = PasswordHash(hashing: "eng-secret", rounds: 1_000)

    func request(password: String? = nil, certificate: PeerCertificate? = nil, peer: String = "10.0.0.9:40000") -> AuthenticationRequest {
        AuthenticationRequest(
            mechanism: password == nil ? .none : .password, password: password, peerAddress: peer, certificate: certificate, callingAPTitle: nil,
            callingAEQualifier: nil)
    }

    var mapping: RoleMapping {
        var mapping = RoleMapping(defaultRole: nil)
        mapping.passwords = [.init(Self.operatorHash, role: .operator), .init(Self.engineerHash, role: .engineer)]
        mapping.networks = [.init(IPNetwork("10.0.5.0/24")!, role: .viewer)]
        return mapping
    }

    @Test("a password hash reads back from its text, matches its password only, and rejects what is not a hash")
    func passwordHash() throws {
        let parsed = try PasswordHash(Self.operatorHash.description)
        #expect(parsed == Self.operatorHash)
        #expect(parsed.matches("op-secret") && !parsed.matches("op-secreT") && !parsed.matches(""))
        #expect(throws: PasswordHash.ParseError.notAHash) { try PasswordHash("op-secret") }
        #expect(throws: PasswordHash.ParseError.notAHash) { try PasswordHash("pbkdf2-sha256$10$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==") }
    }

    @Test("each password gives its role; a wrong one refuses, never downgrades; nothing proved gives the default")
    func passwords() {
        #expect(mapping.role(for: request(password: "op-secret")) == .operator)
        #expect(mapping.role(for: request(password: "eng-secret")) == .engineer)
        #expect(mapping.role(for: request(password: "eng-secret")) == .engineer)  // the second time from the cache
        #expect(mapping.role(for: request(password: "wrong", peer: "10.0.5.7:1")) == nil)
        #expect(mapping.role(for: request()) == nil)
        var withDefault = mapping
        withDefault.defaultRole = .viewer
        #expect(withDefault.role(for: request()) == .viewer)
        #expect(withDefault.role(for: request(password: "wrong")) == nil)
    }

    @Test("an address in a network gives its role, and the highest of all matches wins")
    func networks() {
        #expect(mapping.role(for: request(peer: "10.0.5.200:5000")) == .viewer)
        #expect(mapping.role(for: request(peer: "10.0.6.1:5000")) == nil)
        #expect(mapping.role(for: request(password: "op-secret", peer: "10.0.5.200:5000")) == .operator)
        #expect(IPNetwork("fd00::/8")!.contains("fd12::1") && !IPNetwork("fd00::/8")!.contains("fe80::1"))
        #expect(IPNetwork("192.168.1.7")!.contains("192.168.1.7") && !IPNetwork("192.168.1.7")!.contains("192.168.1.8"))
        #expect(IPNetwork("10.0.0.0/33") == nil && IPNetwork("ten") == nil)
        #expect(IPNetwork("10.0.5.0/24")!.contains("::ffff:10.0.5.3"))  // an IPv4 peer on a dual-stack listener
    }

    @Test("certificates match by subject in any order, by common name or by fingerprint")
    func certificates() throws {
        let validator = try TLSMaterial.load(TestPKI.settings()).validator
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var engineer: PeerCertificate?
        Task {
            engineer = try? await validator.validate([try TestPKI.der("engineer")], now: Date()).get()
            semaphore.signal()
        }
        semaphore.wait()
        let certificate = try #require(engineer)
        for match in [
            RoleMapping.CertificateMatch.subject("O=Test Plant, CN=engineer"), .subject("cn=engineer,o=Test Plant"), .commonName("engineer"),
            .fingerprint(certificate.sha256Fingerprint.uppercased()),
        ] {
            var mapping = RoleMapping()
            mapping.certificates = [.init(match, role: .engineer)]
            #expect(mapping.role(for: request(certificate: certificate)) == .engineer, "\(match)")
        }
        var other = RoleMapping()
        other.certificates = [.init(.commonName("viewer"), role: .engineer)]
        #expect(other.role(for: request(certificate: certificate)) == nil)
    }

    @Test("roles include the ones below them")
    func rights() {
        #expect(Role.viewer.rights.isEmpty)
        #expect(Role.operator.rights == [.control])
        #expect(Role.engineer.rights == .all && Role.viewer < Role.operator && Role.operator < Role.engineer)
        let custom = AccessPolicy.custom { $0.kind == .writeSetting }
        let connection = ClientConnection(id: 1, peerAddress: nil)
        #expect(custom.permits(AccessRequest(kind: .writeSetting, reference: "x", connection: connection)))
        #expect(!custom.permits(AccessRequest(kind: .control(service: "Oper"), reference: "x", connection: connection)))
    }
}
