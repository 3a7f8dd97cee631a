import Foundation
import IEC61850Server
import Testing

@testable import GatewayHTTP

@Suite("HTTP access: roles from Basic passwords and addresses")
struct HTTPAccessTests {
    static func basic(_ password: String) -> String { "Basic " + Data("anyone:\(password)".utf8).base64EncodedString() }

    @Test("without access rules: loopback may change things, others only read")
    func withoutRules() {
        let access = HTTPAccess(roles: nil)
        #expect(access.role(peer: "127.0.0.1:5000", authorization: nil) == .engineer)
        #expect(access.role(peer: "[::1]:5000", authorization: nil) == .engineer)
        #expect(access.role(peer: "::ffff:127.0.0.1:5000", authorization: nil) == .engineer)
        #expect(access.role(peer: "10.0.0.9:5000", authorization: basicPassword()) == .viewer)
        #expect(access.role(peer: nil, authorization: nil) == .viewer)
    }

    private func basicPassword() -> String { Self.basic("whatever") }

    @Test("with access rules: the role of the password, else of the address, else refused")
    func withRules() throws {
        var roles = RoleMapping()
        roles.passwords.append(.init(PasswordHash(hashing: "viewer-pass"), role: .viewer))
        roles.passwords.append(.init(PasswordHash(hashing: "engineer-pass"), role: .engineer))
        roles.networks.append(.init(try #require(IPNetwork("10.1.0.0/16")), role: .operator))
        let access = HTTPAccess(roles: roles)
        #expect(access.role(peer: "127.0.0.1:5000", authorization: nil) == nil)
        #expect(access.role(peer: "127.0.0.1:5000", authorization: Self.basic("viewer-pass")) == .viewer)
        #expect(access.role(peer: "127.0.0.1:5000", authorization: Self.basic("engineer-pass")) == .engineer)
        #expect(access.role(peer: "127.0.0.1:5000", authorization: Self.basic("wrong")) == nil)
        #expect(access.role(peer: "10.1.2.3:5000", authorization: nil) == .operator)
        #expect(access.role(peer: "10.1.2.3:5000", authorization: "Bearer abc") == .operator)
    }

    @Test("Basic header: the password after the first colon; anything else is no password")
    func basicHeader() {
        #expect(HTTPAccess.basicPassword(Self.basic("a:b")) == "a:b")
        #expect(HTTPAccess.basicPassword("basic " + Data("u:p".utf8).base64EncodedString()) == "p")
        #expect(HTTPAccess.basicPassword("Basic !!!") == nil)
        #expect(HTTPAccess.basicPassword("Basic " + Data("nocolon".utf8).base64EncodedString()) == nil)
        #expect(HTTPAccess.basicPassword("Basic " + String(repeating: "A", count: 5000)) == nil)
        #expect(HTTPAccess.basicPassword(nil) == nil)
    }
}
