import Foundation
import Testing
import X509

@testable import IEC61850Server
@testable import MMSMapping

/// A PKI made by Tests/Fixtures/pki/make-test-pki (openssl) once for the suite, or the one in
/// $IEC61850_TEST_PKI (scripts/test makes it before the tests, so that forty openssl runs do not load the
/// machine while timing-sensitive tests run beside these).
enum TestPKI {
    static let folder: String = {
        if let made = ProcessInfo.processInfo.environment["IEC61850_TEST_PKI"], FileManager.default.fileExists(atPath: "\(made)/ca.crl") {
            return made
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("iec61850-test-pki-\(getpid())").path
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/pki/make-test-pki").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = [folder]
        process.standardOutput = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
        return folder
    }()

    static func path(_ name: String) -> String { "\(folder)/\(name)" }

    static func der(_ name: String) throws -> [UInt8] {
        let text = try String(contentsOfFile: path("\(name).pem"), encoding: .utf8)
        return try Certificate(pemEncoded: text).serializeAsPEM().derBytes
    }

    static func settings(
        certificate: String = "server", key: String? = nil, ca: [String] = ["ca.pem"], allowed: [String] = [], crl: [String] = ["ca.crl"]
    )
        -> TLSSettings
    {
        TLSSettings(
            certificateFile: path("\(certificate).pem"), privateKeyFile: path("\(key ?? certificate).key"), caFiles: ca.map(path),
            allowedCertificateFiles: allowed.map(path), crlFiles: crl.map(path))
    }
}

@Suite("TLS material: certificates, keys, CRLs and the client certificate check", .timeLimit(.minutes(2)))
struct TLSMaterialTests {
    func refusal(_ settings: TLSSettings) -> TLSError? {
        do {
            _ = try TLSMaterial.load(settings)
            return nil
        } catch {
            return error
        }
    }

    @Test("good files load, and a certificate that expires within 30 days is a warning")
    func loads() throws {
        let material = try TLSMaterial.load(TestPKI.settings())
        #expect(material.warnings.contains { $0.contains("server.pem") && $0.contains("expires in") })
        #expect(material.validator.revocationLists.count == 1)
    }

    @Test("each bad file is refused with a code and a message that names it")
    func badFiles() {
        let mismatch = refusal(TestPKI.settings(key: "viewer"))
        #expect(mismatch?.code == .keyDoesNotMatchCertificate && "\(mismatch!)".contains("viewer.key"))
        let expired = refusal(TestPKI.settings(certificate: "expired"))
        #expect(expired?.code == .certificateExpired && "\(expired!)".contains("2021-01-01"))
        let missing = refusal(TestPKI.settings(ca: ["nowhere.pem"]))
        #expect(missing?.code == .unreadableFile && "\(missing!)".contains("nowhere.pem"))
        let notACertificate = refusal(TestPKI.settings(ca: ["ca.key"]))
        #expect(notACertificate?.code == .noCertificate || notACertificate?.code == .invalidCertificate)
        let foreignCRL = refusal(TestPKI.settings(ca: ["rogue-ca.pem"]))
        #expect(foreignCRL?.code == .crlNotSignedByAnyCA)
        let noTrust = refusal(TestPKI.settings(ca: [], crl: []))
        #expect(noTrust == .nothingToTrust)
    }

    @Test("the CRL lists the revoked certificate and is signed by the CA")
    func revocationList() throws {
        let list = try CertificateRevocationList(bytes: [UInt8](Data(contentsOf: URL(fileURLWithPath: TestPKI.path("ca.crl")))))
        let ca = try Certificate(derEncoded: TestPKI.der("ca"))
        let rogue = try Certificate(derEncoded: TestPKI.der("rogue-ca"))
        #expect(list.isSigned(by: ca))
        #expect(!list.isSigned(by: rogue))
        #expect(list.revokes(try Certificate(derEncoded: TestPKI.der("revoked"))))
        #expect(!list.revokes(try Certificate(derEncoded: TestPKI.der("viewer"))))
        #expect(list.nextUpdate.map { $0 > Date() } == true)
        #expect(throws: (any Error).self) { try CertificateRevocationList(bytes: Array("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n".utf8)) }
    }

    @Test("the client certificate check says why it refuses")
    func validator() async throws {
        let validator = try TLSMaterial.load(TestPKI.settings()).validator
        func check(_ name: String) async throws -> Result<PeerCertificate, TLSRefusal> {
            await validator.validate([try TestPKI.der(name)], now: Date())
        }
        let viewer = try await check("viewer").get()
        #expect(viewer.commonName == "viewer" && viewer.sha256Fingerprint.count == 64)
        guard case .failure(.expired) = try await check("expired") else { Issue.record("expired admitted"); return }
        guard case .failure(.notYetValid) = try await check("future") else { Issue.record("future admitted"); return }
        guard case .failure(.revoked) = try await check("revoked") else { Issue.record("revoked admitted"); return }
        guard case .failure(.untrusted) = try await check("rogue") else { Issue.record("rogue admitted"); return }
        guard case .failure(.noCertificate) = await validator.validate([], now: Date()) else { Issue.record("nothing admitted"); return }
        guard case .failure(.untrusted(let why)) = try await check("server"), why.contains("client authentication") else {
            Issue.record("a server certificate admitted as a client's")
            return
        }
        let viewerDER = try TestPKI.der("viewer"), caDER = try TestPKI.der("ca")
        for padded in [[viewerDER, caDER, caDER], [viewerDER] + Array(repeating: caDER, count: 5)] {
            guard case .failure(.untrusted) = await validator.validate(padded, now: Date()) else {
                Issue.record("a chain of \(padded.count) with repeats admitted")
                return
            }
        }
    }

    @Test("an allow-list admits only its certificates; without a CA it pins them (self-signed too)")
    func allowList() async throws {
        let listed = try TLSMaterial.load(TestPKI.settings(allowed: ["viewer.pem"])).validator
        #expect((try? await listed.validate([try TestPKI.der("viewer")], now: Date()).get()) != nil)
        guard case .failure(.notAllowListed) = await listed.validate([try TestPKI.der("operator")], now: Date()) else {
            Issue.record("operator admitted")
            return
        }
        let pinned = try TLSMaterial.load(TestPKI.settings(ca: [], allowed: ["self.pem"], crl: [])).validator
        #expect((try? await pinned.validate([try TestPKI.der("self")], now: Date()).get()) != nil)
        guard case .failure(.notAllowListed) = await pinned.validate([try TestPKI.der("viewer")], now: Date()) else {
            Issue.record("viewer admitted by a pin of another certificate")
            return
        }
    }

    @Test("BoringSSL's handshake errors become refusals in words")
    func handshakeErrors() {
        #expect(TLSRefusal.from(openSSLText: "error:1000042e:SSL routines:OPENSSL_internal:UNSUPPORTED_PROTOCOL") == .protocolVersion)
        #expect(TLSRefusal.from(openSSLText: "SSL routines:OPENSSL_internal:NO_SHARED_CIPHER") == .noCommonCipher)
        #expect(TLSRefusal.from(openSSLText: "SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER") == .notTLS)
        #expect(TLSRefusal.from(openSSLText: "OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE") == .noCertificate)
        #expect(TLSRefusal.from(openSSLText: "OPENSSL_internal:TLSV1_ALERT_UNKNOWN_CA") == .peerAlert("unknown ca"))
    }
}
