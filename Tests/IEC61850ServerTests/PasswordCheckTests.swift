import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import IEC61850Server
@testable import MMSMapping

@Suite("Password hashes are checked off the event loop", .timeLimit(.minutes(1)))
struct PasswordCheckTests {
    @Test("while a costly password hash is checked, every event loop keeps answering its associations")
    func otherAssociationsKeepGoing() async throws {
        var mapping = RoleMapping(defaultRole: .viewer)
        // "slow-to-check" at 2,000,000 rounds (a third of a second or more), made once with hash-password so
        // that the test does not pay for it twice.
        let slow = try PasswordHash("pbkdf2-sha256$2000000$jS41t8yCl0CNhqL2E80q2w==$9/Mu2N42bH/tGiZfMijJVnbw1rDey6fcCJ2krURqjNg=")
        mapping.passwords = [.init(slow, role: .engineer)]
        var configuration = IedServerConfiguration()
        configuration.bindAddress = "127.0.0.1"
        configuration.port = 0
        configuration.authenticator = .roles(mapping)
        let server = IedServer(model: InMemoryAssociation.walkThroughModel(), configuration: configuration)
        try await server.start()
        defer { Task { await server.stop() } }
        let port = try #require(server.localPort)
        // One reader per event loop (connections are spread round robin), admitted as viewers.
        var readers: [RawClient] = []
        for _ in 0..<System.coreCount { readers.append(try await RawClient.associated(port: port)) }
        let checked = try await RawClient(port: port, group: MultiThreadedEventLoopGroup.singleton)
        try await checked.send(ClientFrames.connectionRequest)
        _ = try await checked.wait { $0.count >= 22 }
        let started = ContinuousClock.now
        try await checked.send(ClientFrames.connect(password: "slow-to-check"))
        var slowest = Duration.zero
        var invokeID: Int64 = 1
        while checked.received.value.count <= 22, ContinuousClock.now - started < .seconds(10) {
            for reader in readers {
                let before = reader.received.value.count
                let sent = ContinuousClock.now
                try await reader.send(ClientFrames.read(invokeID, domain: "IED1LD0", item: "LLN0$ST$Mod$stVal"))
                _ = try await reader.wait { $0.count > before }
                slowest = max(slowest, ContinuousClock.now - sent)
                invokeID += 1
            }
        }
        let checkTook = ContinuousClock.now - started
        #expect(checked.received.value.count > 22, "no answer to the association with the password")
        #expect(checkTook > .milliseconds(200), "the check was too quick to show anything (\(checkTook))")
        #expect(slowest < checkTook / 2, "a read waited \(slowest) while the password check took \(checkTook)")
    }
}
