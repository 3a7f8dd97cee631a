import CSessionTickets
import Foundation
import NIOSSL
import X509

/// The certificates, key and CRLs of a ``TLSSettings``, read and checked: what a TLS connection is set up
/// with. A reload builds a new one; connections keep the one they started with.
struct TLSMaterial: Sendable {
    let context: NIOSSLContext
    let validator: PeerCertificateValidator
    /// Things to fix soon (a certificate that expires within 30 days, a CRL past its next update).
    let warnings: [String]
    /// Modification times of the files read, to notice changes.
    let stamps: [String: Date]

    /// The cipher suites for TLS 1.2: ephemeral ECDH (forward secrecy) with AES-GCM, for RSA and ECDSA
    /// certificates, as IEC 62351-3 Ed.2 recommends. TLS 1.3 uses its own AEAD suites (BoringSSL's fixed set).
    static let cipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ]

    /// A certificate that expires within this is warned of.
    static let expiryWarning: TimeInterval = 30 * 86_400

    static func load(_ settings: TLSSettings, now: Date = Date()) throws(TLSError) -> TLSMaterial {
        var warnings: [String] = []
        var stamps: [String: Date] = [:]
        func read(_ path: String) throws(TLSError) -> [UInt8] {
            do {
                // The time first: a file replaced between the two reads is then read again at the next check.
                stamps[path] = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
                return try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw .unreadableFile(path: path, reason: (error as NSError).localizedFailureReason ?? "\(error)")
            }
        }
        func certificates(_ path: String, role: String, failExpired: Bool) throws(TLSError) -> [(NIOSSLCertificate, Certificate, [UInt8])] {
            let bytes = try read(path)
            let parsed: [NIOSSLCertificate]
            do { parsed = try NIOSSLCertificate.fromPEMBytes(bytes) } catch { throw .invalidCertificate(path: path, reason: "\(error)") }
            guard !parsed.isEmpty else { throw .noCertificate(path: path) }
            var result: [(NIOSSLCertificate, Certificate, [UInt8])] = []
            for certificate in parsed {
                do {
                    let der = try certificate.toDERBytes()
                    let x509 = try Certificate(derEncoded: der)
                    result.append((certificate, x509, der))
                } catch {
                    throw .invalidCertificate(path: path, reason: "\(error)")
                }
            }
            for (_, certificate, _) in result {
                if now > certificate.notValidAfter {
                    if failExpired { throw .certificateExpired(path: path, notValidAfter: certificate.notValidAfter) }
                    warnings.append("\(path): the \(role) \(certificate.subject) expired on \(TLSError.format(certificate.notValidAfter))")
                } else if now < certificate.notValidBefore {
                    if failExpired { throw .certificateNotYetValid(path: path, notValidBefore: certificate.notValidBefore) }
                    warnings.append("\(path): the \(role) \(certificate.subject) is not valid before \(TLSError.format(certificate.notValidBefore))")
                } else if certificate.notValidAfter.timeIntervalSince(now) < expiryWarning {
                    let days = Int(certificate.notValidAfter.timeIntervalSince(now) / 86_400)
                    warnings.append("\(path): the \(role) \(certificate.subject) expires in \(days) days, on \(TLSError.format(certificate.notValidAfter))")
                }
            }
            return result
        }

        let own = try certificates(settings.certificateFile, role: "server certificate", failExpired: true)
        let keyBytes = try read(settings.privateKeyFile)
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem) } catch {
            throw .invalidPrivateKey(path: settings.privateKeyFile, reason: "\(error)")
        }
        if let x509Key = try? Certificate.PrivateKey(pemEncoded: String(decoding: keyBytes, as: UTF8.self)), x509Key.publicKey != own[0].1.publicKey {
            throw .keyDoesNotMatchCertificate(key: settings.privateKeyFile, certificate: settings.certificateFile)
        }
        var authorities: [(NIOSSLCertificate, Certificate, [UInt8])] = []
        for path in settings.caFiles { authorities += try certificates(path, role: "CA certificate", failExpired: true) }
        var allowed: Set<[UInt8]> = []
        for path in settings.allowedCertificateFiles {
            for (_, _, der) in try certificates(path, role: "allowed certificate", failExpired: false) { allowed.insert(der) }
        }
        var lists: [CertificateRevocationList] = []
        for path in settings.crlFiles {
            let list: CertificateRevocationList
            do { list = try CertificateRevocationList(bytes: try read(path)) } catch let error as TLSError { throw error } catch {
                throw .invalidCRL(path: path, reason: "\(error)")
            }
            guard authorities.contains(where: { list.isSigned(by: $0.1) }) else {
                throw .crlNotSignedByAnyCA(path: path, issuer: "\(list.issuer)")
            }
            if let next = list.nextUpdate, next < now {
                warnings.append("\(path): the CRL of \(list.issuer) was due for renewal on \(TLSError.format(next)); it is still used")
            }
            lists.append(list)
        }
        if settings.requireClientCertificate, authorities.isEmpty, allowed.isEmpty { throw .nothingToTrust }

        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: own.map { .certificate($0.0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.cipherSuiteValues = cipherSuites
        // A closing connection waits this long for the peer's close_notify: a peer that never answers
        // (idle, hostile) must not hold its association slot for NIO's default of 5 s.
        configuration.shutdownTimeout = .seconds(1)
        configuration.certificateVerification = settings.requireClientCertificate ? .noHostnameVerification : .optionalVerification
        if !authorities.isEmpty {
            configuration.trustRoots = .certificates(authorities.map(\.0))
            configuration.sendCANameList = true
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: configuration) } catch {
            if "\(error)".contains("KEY_VALUES_MISMATCH") {
                throw .keyDoesNotMatchCertificate(key: settings.privateKeyFile, certificate: settings.certificateFile)
            }
            throw .setupFailed(reason: "\(error)")
        }
        guard disableResumption(context) else {
            throw .setupFailed(reason: "session resumption cannot be switched off in this build of swift-nio-ssl (see TLSMaterial.disableResumption)")
        }
        return TLSMaterial(
            context: context, validator: PeerCertificateValidator(authorities: authorities.map(\.1), allowed: allowed, revocationLists: lists),
            warnings: warnings, stamps: stamps)
    }

    /// Switches session resumption off: TLS 1.3 tickets, TLS 1.2 tickets and the session cache.
    ///
    /// - A resumed handshake skips the client certificate check (BoringSSL calls no verification callback
    ///   for it), so the association would have no checked certificate and expiry, revocation and the
    ///   allow-list would not be looked at again for the session's lifetime.
    /// - libIEC61850's client (1.6, with mbedtls 3.6) treats the NewSessionTicket message a TLS 1.3 server
    ///   sends after the handshake as an error (MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET from
    ///   mbedtls_ssl_read) and drops the connection; BoringSSL sends two by default.
    ///
    /// Resumption buys nothing for MMS associations, which last hours. swift-nio-ssl has no setting for
    /// it: the context's SSL_CTX is found by reflection and set with BoringSSL's own calls. Should
    /// swift-nio-ssl rename its field, this returns false and the TLS listener does not start (the TLS
    /// tests fail), rather than run with resumption on.
    private static func disableResumption(_ context: NIOSSLContext) -> Bool {
        guard let pointer = Mirror(reflecting: context).children.first(where: { $0.label == "sslContext" })?.value as? OpaquePointer else {
            return false
        }
        return iec61850_ssl_ctx_disable_resumption(UnsafeMutableRawPointer(pointer)) == 1
    }

    /// Whether any file has a modification time other than when it was read (or is gone).
    func filesChanged() -> Bool {
        stamps.contains { path, stamp in
            (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) != stamp
        }
    }
}

extension TLSSettings {
    /// Reads and checks every file as the server would: they exist, parse, the key belongs to the
    /// certificate, nothing has expired, each CRL is signed by a configured CA. Returns what should be fixed
    /// soon (certificates expiring within 30 days, CRLs past their next update).
    public func check(now: Date = Date()) throws(TLSError) -> [String] {
        try TLSMaterial.load(self, now: now).warnings
    }
}
