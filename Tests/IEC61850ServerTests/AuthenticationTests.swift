import NIOConcurrencyHelpers
import NIOCore
import TestSupport
import Testing

@testable import IEC61850Server
@testable import MMSMapping

@Suite("ACSE password authentication")
struct AuthenticationTests {
    func configuration(_ authenticator: Authenticator) -> IedServerConfiguration {
        var configuration = IedServerConfiguration()
        configuration.authenticator = authenticator
        return configuration
    }

    /// The AARE's result and diagnostic (`A2 03 02 01 r`, `A3 05 A1 03 02 01 d`) in the AC frame.
    func aareResult(_ frame: ByteBuffer) -> (result: UInt8, diagnostic: UInt8)? {
        let bytes = Array(frame.readableBytesView)
        for index in 0..<max(bytes.count - 11, 0)
        where bytes[index..<(index + 4)] == [0xA2, 0x03, 0x02, 0x01] && bytes[(index + 5)..<(index + 11)] == [0xA3, 0x05, 0xA1, 0x03, 0x02, 0x01] {
            return (bytes[index + 4], bytes[index + 11])
        }
        return nil
    }

    @Test("the right password is admitted")
    func rightPassword() throws {
        let association = try InMemoryAssociation(configuration: configuration(.password("secret")))
        _ = try association.send(ClientFrames.connectionRequest)
        let ac = try association.send(ClientFrames.connect(password: "secret"))
        #expect(ac.first.flatMap(aareResult)?.result == 0)
        #expect(association.channel.isActive)
        #expect(try association.exchange(ClientFrames.read(1, domain: "IED1LD0", item: "LLN0$ST$Mod$stVal")).hexDump == "A1 0A 02 01 01 A4 05 A1 03 85 01 01")
    }

    @Test("a wrong password gets AARE rejected-permanent, authentication-failure (13), then close")
    func wrongPassword() throws {
        let association = try InMemoryAssociation(configuration: configuration(.password("secret")))
        _ = try association.send(ClientFrames.connectionRequest)
        let ac = try association.send(ClientFrames.connect(password: "guess"))
        let result = try #require(ac.first.flatMap(aareResult))
        #expect(result.result == 1)
        #expect(result.diagnostic == 13)
        #expect(!association.channel.isActive)
    }

    @Test("no password gets authentication-required (14), then close")
    func noPassword() throws {
        let association = try InMemoryAssociation(configuration: configuration(.password("secret")))
        _ = try association.send(ClientFrames.connectionRequest)
        let ac = try association.send(ClientFrames.connect())
        #expect(ac.first.flatMap(aareResult)?.diagnostic == 14)
        #expect(!association.channel.isActive)
    }

    @Test("a custom authenticator sees the password and the peer address")
    func custom() throws {
        let seen = NIOLockedValueBox<[AuthenticationRequest]>([])
        let association = try InMemoryAssociation(
            configuration: configuration(
                .custom { request in
                    seen.withLockedValue { $0.append(request) }
                    return request.password == "operator-1" && request.peerAddress == "127.0.0.1:5000"
                }))
        _ = try association.send(ClientFrames.connectionRequest)
        let ac = try association.send(ClientFrames.connect(password: "operator-1"))
        #expect(ac.first.flatMap(aareResult)?.result == 0)
        #expect(seen.withLockedValue { $0.first?.mechanism } == .password)
    }
}
